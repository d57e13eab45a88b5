/* junit.c - placeholder until written */
#include "output/gate_formats.h"
int render_junit(FILE *out, const struct gate *gate) { return 0; }
