/* The MATH answer checker (host/experiments/math_answer.h) against the paper's own grader:
 * every case of tests/fixtures/math_answer_cases.json was decided by that Python code
 * (make_math_answer_cases.py): boxed extraction, both normalisers' outputs, and verdicts —
 * psamp must give the grader's verdict wherever its string rules decide, and never true where
 * the grader says false. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math_answer.h"
#include "testlib.h"

static const char *str(const cJSON *pair, int i) {
    const cJSON *v = cJSON_GetArrayItem(pair, i);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void check_extract(psamp_test_state *t, const cJSON *cases) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *text = str(c, 0), *want = str(c, 1);
        char *got = NULL;
        int found = math_answer_last_boxed(text, strlen(text), &got);
        CHECK(t, found == (want != NULL) && (!want || strcmp(got, want) == 0), "extract '%s': got '%s', want '%s'", text,
              got ? got : "(none)", want ? want : "(none)");
        free(got);
    }
}

static void check_normalizer(psamp_test_state *t, const cJSON *cases, int prm) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *in = str(c, 0), *want = str(c, 1);
        char *got;
        if (prm) {
            char *pre = math_answer_normalize_pre_latex(in);
            got = pre ? math_answer_normalize_post_latex(pre) : NULL;
            free(pre);
        } else {
            got = math_answer_normalize_mathd(in);
        }
        CHECK(t, got && want && strcmp(got, want) == 0, "%s('%s') = '%s', grader '%s'", prm ? "prm" : "mathd", in,
              got ? got : "(null)", want ? want : "(null)");
        free(got);
    }
}

static void check_grade(psamp_test_state *t, const cJSON *cases) {
    const cJSON *c;
    int stricter = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *given = cJSON_GetObjectItem(c, "given")->valuestring;
        const char *ref = cJSON_GetObjectItem(c, "reference")->valuestring;
        int grader = cJSON_IsTrue(cJSON_GetObjectItem(c, "grader"));
        int want = cJSON_IsTrue(cJSON_GetObjectItem(c, "psamp"));
        int got = math_answer_equal(given, ref);
        CHECK(t, got == want, "equal('%s', '%s') = %d, want %d (grader %d)", given, ref, got, want, grader);
        CHECK(t, !(got && !grader), "'%s' vs '%s': psamp more lenient than the grader", given, ref);
        stricter += grader && !got;
        /* the same through a completion */
        char text[512];
        snprintf(text, sizeof text, "Work... so the answer is $\\boxed{%s}$.", given);
        CHECK(t, math_answer_judge(text, strlen(text), ref) == want, "judge '%s'", text);
    }
    CHECK(t, stricter > 0 && stricter < cJSON_GetArraySize(cases) / 4,
          "the cases must include a few only sympy or LaTeX parsing decides (%d)", stricter);
}

int main(void) {
    psamp_test_state t = {0, 0};
    size_t len;
    char *text = psamp_test_read_file(PSAMP_FIXTURES "/math_answer_cases.json", &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    CHECK(&t, root != NULL, "math_answer_cases.json does not parse");
    if (root) {
        check_extract(&t, cJSON_GetObjectItem(root, "extract"));
        check_normalizer(&t, cJSON_GetObjectItem(root, "mathd"), 0);
        check_normalizer(&t, cJSON_GetObjectItem(root, "prm"), 1);
        check_grade(&t, cJSON_GetObjectItem(root, "grade"));
        CHECK(&t, !math_answer_judge("no box", 6, "1"), "no boxed answer is wrong");
    }
    cJSON_Delete(root);
    free(text);
    return psamp_test_finish(&t, "test_math_answer");
}
