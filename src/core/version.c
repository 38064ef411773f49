/* The library's version at run time: what the program was linked with,
 * which a shared libdial can make differ from the headers it was built
 * against. */
#include "dial/core.h"

const char *dial_version(void) { return DIAL_VERSION_STRING; }

int dial_version_number(void) { return DIAL_VERSION_NUMBER; }
