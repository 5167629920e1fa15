/* Prompt templates: a text file holding the prompt as the model should see it, with
 * "{problem}" where each problem's text goes (a task's "prompt", or generate's --prompt).
 * Every "{problem}" is replaced; no other brace sequence is special, so LaTeX such as
 * "\boxed{}" is written as it is. The file's one final newline, if present, is not part of
 * the template (editors add it; a prompt that must end in a newline ends the file with two).
 * For instruct models the file holds the chat template's rendered form, special tokens
 * written as text ("<|user|>\n{problem}<|end|>\n<|assistant|>\n"): the tokenizer turns them
 * into their ids. Shipped examples: experiments/prompts/. */
#ifndef PSAMP_PROMPT_TEMPLATE_H
#define PSAMP_PROMPT_TEMPLATE_H

#include "error.h"
#include "passk_tasks.h"

/* Reads a template file (at most 1 MiB, no NUL byte, at least one "{problem}"). *out is
 * malloc'd. Errors name the file. */
int prompt_template_load(const char *path, char **out, psamp_err *err);

/* The template with every "{problem}" replaced by problem; *out malloc'd. */
int prompt_template_apply(const char *tmpl, const char *problem, char **out, psamp_err *err);

/* Replaces every task's prompt by the template applied to it. */
int prompt_template_apply_tasks(const char *tmpl, passk_task_set *tasks, psamp_err *err);

#endif
