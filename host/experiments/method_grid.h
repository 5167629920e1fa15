/* Method grids: a method whose numeric settings hold several values stands for every
 * combination of them, so pass@k and H3 compare a method across alpha, block sizes, ...
 * without writing each out. In a config, a list:
 *
 *     {"method": "power", "alpha": [2, 4, 8], "block_size": [4, 8], "mcmc_steps": 10}
 *
 * on the command line, values separated by '|':
 *
 *     power:alpha=2|4|8,block-size=4|8,mcmc-steps=10
 *
 * Both expand to 6 methods in the order of an odometer whose last listed key turns fastest
 * (alpha 2 B 4, alpha 2 B 8, alpha 4 B 4, ...). Each expanded method's label is the spec's
 * label (JSON: "label", else the method name; command line: label=, else the spec's method
 * name) followed by " key=value" for every listed key ("power alpha=2 block_size=4"), so no
 * two carry the same text. A spec without lists is one method, labelled as method_spec.h
 * says. At most METHOD_GRID_MAX methods per spec. */
#ifndef PSAMP_METHOD_GRID_H
#define PSAMP_METHOD_GRID_H

#include "error.h"
#include "method_spec.h"

struct cJSON;

#define METHOD_GRID_MAX 4096

/* Appends the methods of one JSON object (`where` names it in messages) to *l. */
int method_grid_from_json(const struct cJSON *obj, const char *where, method_list *l, psamp_err *err);
/* Appends the methods of one command-line spec to *l. */
int method_grid_from_text(const char *spec, method_list *l, psamp_err *err);

#endif
