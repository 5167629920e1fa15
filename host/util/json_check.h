/* A check every JSON reader runs before cJSON: a string holding U+0000 (the escape \u0000,
 * or a raw NUL byte) is refused. cJSON keeps strings NUL-terminated, so such a string would
 * silently end there: a task answer "Par\u0000is" would be judged as "Par". */
#ifndef PSAMP_JSON_CHECK_H
#define PSAMP_JSON_CHECK_H

#include <stddef.h>

#include "error.h"

/* 0, or -1 with "WHERE: a JSON string holds U+0000 (\u0000) at byte N, which psamp cannot
 * keep" for the first such string in text[0..len). */
int psamp_json_refuse_nul(const char *text, size_t len, const char *where, psamp_err *err);

#endif
