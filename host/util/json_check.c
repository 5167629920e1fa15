#include "json_check.h"

int psamp_json_refuse_nul(const char *text, size_t len, const char *where, psamp_err *err) {
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        size_t at = i;
        char c = text[i];
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        int nul = c == '\0';
        if (c == '\\' && i + 1 < len) {
            i++;
            nul = text[i] == 'u' && i + 4 < len && text[i + 1] == '0' && text[i + 2] == '0' &&
                  text[i + 3] == '0' && text[i + 4] == '0';
        } else if (c == '"') {
            in_string = 0;
        }
        if (nul)
            return psamp_fail(err, "%s: a JSON string holds U+0000 (\\u0000) at byte %zu, which psamp cannot keep",
                              where, at);
    }
    return 0;
}
