#include "csv_write.h"

#include <math.h>
#include <string.h>

void psamp_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void psamp_csv_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
}
