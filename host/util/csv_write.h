/* CSV output (RFC 4180): fields holding a comma, quote or line break are quoted. */
#ifndef PSAMP_CSV_WRITE_H
#define PSAMP_CSV_WRITE_H

#include <stdio.h>

/* A text field, quoted (quotes doubled) when it holds a comma, a quote or a line break, or
 * starts or ends with a space (which some readers trim). */
void psamp_csv_field(FILE *f, const char *s);
/* A number field with 9 significant digits (tables to read); non-finite values are left
 * empty. */
void psamp_csv_number(FILE *f, double v);
/* A number field in the shortest text that reads back as the same double (results to merge
 * or compare); non-finite values are left empty. */
void psamp_csv_number_exact(FILE *f, double v);

#endif
