/* CSV fields: quoting exactly when a reader would split, join or trim the text, and numbers
 * either to 9 digits or exactly (the text reads back as the same double). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_write.h"
#include "testlib.h"

typedef void (*text_writer)(FILE *f, const char *s);
typedef void (*number_writer)(FILE *f, double v);

/* What a writer put in a memory stream, NUL-terminated, in buf. */
static const char *write_text(text_writer w, const char *s, char *buf, size_t cap) {
    memset(buf, 0, cap); /* fmemopen adds no NUL when nothing is written */
    FILE *f = fmemopen(buf, cap, "w");
    if (!f) return "";
    w(f, s);
    fclose(f);
    return buf;
}

static const char *write_number(number_writer w, double v, char *buf, size_t cap) {
    memset(buf, 0, cap);
    FILE *f = fmemopen(buf, cap, "w");
    if (!f) return "";
    w(f, v);
    fclose(f);
    return buf;
}

int main(void) {
    psamp_test_state t = {0, 0};
    char buf[128];
    const char *fields[][2] = {
        {"plain", "plain"},           {"", ""},
        {"a,b", "\"a,b\""},           {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""}, {"cr\rx", "\"cr\rx\""},
        {" lead", "\" lead\""},       {"trail ", "\"trail \""},
        {"in side", "in side"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        CHECK(&t, strcmp(write_text(psamp_csv_field, fields[i][0], buf, sizeof buf), fields[i][1]) == 0,
              "field '%s': got '%s', want '%s'", fields[i][0], buf, fields[i][1]);

    CHECK(&t, strcmp(write_number(psamp_csv_number, 1.0 / 3.0, buf, sizeof buf), "0.333333333") == 0, "9 digits: %s",
          buf);
    CHECK(&t, strcmp(write_number(psamp_csv_number, 0.25, buf, sizeof buf), "0.25") == 0, "short stays short: %s", buf);
    const double exact[] = {1.0 / 3.0, 0.1, 1e-300, -2.5, 123456789.125, 0.0};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        write_number(psamp_csv_number_exact, exact[i], buf, sizeof buf);
        CHECK(&t, strtod(buf, NULL) == exact[i], "exact %.17g reads back: %s", exact[i], buf);
    }
    CHECK(&t, strcmp(write_number(psamp_csv_number_exact, 0.1, buf, sizeof buf), "0.1") == 0, "shortest: %s", buf);
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        CHECK(&t, write_number(psamp_csv_number, bad[i], buf, sizeof buf)[0] == '\0', "non-finite left empty");
        CHECK(&t, write_number(psamp_csv_number_exact, bad[i], buf, sizeof buf)[0] == '\0', "non-finite left empty");
    }
    return psamp_test_finish(&t, "test_csv_write");
}
