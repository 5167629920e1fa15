/* Reading an OPT config.json (Hugging Face OPTConfig): sizes are required; the flags and
 * special ids take OPTConfig's defaults when absent. Only the ReLU activation is supported. */
#ifndef PSAMP_OPT_CONFIG_H
#define PSAMP_OPT_CONFIG_H

#include "opt_checkpoint.h"

/* Fills cfg from the JSON file at path; errors name the file and the field. */
int opt_config_load(opt_config *cfg, const char *path, psamp_err *err);

#endif
