/* CSV output (RFC 4180): fields holding a comma, quote or line break are quoted. */
#ifndef PSAMP_CSV_WRITE_H
#define PSAMP_CSV_WRITE_H

#include <stdio.h>

void psamp_csv_field(FILE *f, const char *s);
/* A number field; non-finite values are left empty. */
void psamp_csv_number(FILE *f, double v);

#endif
