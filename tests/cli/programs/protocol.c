/* A program dial run tunes (tests/cli/test_run.sh), compiled by the test:
 * reads x from argv[1] and prints its value as 'dial: value=V' followed by
 * a later line that is a number, which the value line outranks, and a last
 * line without its newline. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    double x = strtod(argv[1], NULL);
    printf("dial: step=1 value=%.17g\n", x * 2);
    printf("dial: value=%.17g\n", x * x);
    printf("12345\n");
    printf("done");
    return 0;
}
