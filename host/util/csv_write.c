#include "csv_write.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void psamp_csv_field(FILE *f, const char *s) {
    size_t n = strlen(s);
    if (!strpbrk(s, ",\"\r\n") && !(n > 0 && (s[0] == ' ' || s[n - 1] == ' '))) {
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

void psamp_csv_number_exact(FILE *f, double v) {
    char buf[40];
    if (!isfinite(v)) return;
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
}
