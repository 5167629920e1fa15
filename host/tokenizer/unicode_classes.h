/* The character classes of GPT-2's pre-tokenization pattern (letters \p{L}, numbers \p{N},
 * whitespace \s, everything else), as the Python `regex` package defines them, so that
 * psamp splits text exactly where Hugging Face's GPT2Tokenizer does. The table lives in the
 * generated host/tokenizer/unicode_classes.c (scripts/gen_unicode_classes.py). */
#ifndef PSAMP_UNICODE_CLASSES_H
#define PSAMP_UNICODE_CLASSES_H

typedef enum {
    PSAMP_UC_OTHER = 0,  /* also: surrogates and bytes that are not valid UTF-8 */
    PSAMP_UC_LETTER = 1,
    PSAMP_UC_NUMBER = 2,
    PSAMP_UC_SPACE = 3
} psamp_unicode_class;

/* Class of code point cp (any value; above U+10FFFF is "other"). */
psamp_unicode_class psamp_unicode_class_of(unsigned int cp);

#endif
