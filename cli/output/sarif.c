#include "output/gate_formats.h"
int render_sarif(FILE *out, const struct gate *gate) { return 0; }
