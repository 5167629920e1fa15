/* psamp sweep: run a grid of sampler settings into a folder, resumably, whole or as one of
 * N shards, and merge shards (--merge). The folder's layout is in host/sweep/sweep_dir.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_progress.h"
#include "cli_stop.h"
#include "cli_sweep.h"
#include "clock.h"
#include "sweep_dir.h"
#include "sweep_lock.h"
#include "sweep_results.h"
#include "sweep_shard.h"

typedef struct {
    const char *config, *out, *shard, *merge;
    int quiet, list;
    int32_t shard_index, shard_count; /* 0/1 without --shard */
} sweep_options;

static const char SWEEP_DETAILS[] =
    "Runs every point of the config's grid (format: experiments/README.md, Sweeps) into DIR:\n"
    "DIR/points/NAME.json per finished point, DIR/samples/NAME.jsonl, and DIR/results.csv +\n"
    "DIR/results.json (one row per finished point). A rerun with the same config resumes,\n"
    "skipping finished points; another config in the same DIR is an error.\n"
    "--shard I/N runs the I-th of N parts (I from 0, balanced by estimated tokens) into the\n"
    "same DIR and leaves results to --merge DIR, which lists missing and failed points.\n"
    "Exit: 0 ok, 1 a point failed / points missing (merge) / bad config, 2 usage.";

/* The run's state, shared with the sampler's progress hook. */
typedef struct {
    const char *out;
    const cli_sweep_plan *plan;
    const char *mine;  /* mine[i]: point i belongs to this run */
    cJSON **rows;      /* finished points' records, NULL where not finished */
    int whole;         /* no --shard: this run writes results.* */
    int quiet;
    int32_t done_before, ran, failed, todo;
    int interrupted;   /* SIGINT / SIGTERM: the point running then was dropped, not recorded */
    double work_total, work_done, point_work;
    double last_results;
    char label[64];
    cli_progress progress;
} sweep_run;

static void on_progress(void *ctx, double fraction) {
    sweep_run *r = ctx;
    if (r->work_total > 0)
        cli_progress_update(&r->progress, (r->work_done + fraction * r->point_work) / r->work_total);
}

static int write_results(sweep_run *r, psamp_err *err) {
    const cli_sweep_plan *plan = r->plan;
    cJSON **rows = malloc((size_t)(plan->n_points > 0 ? plan->n_points : 1) * sizeof *rows);
    int32_t n = 0;
    if (!rows) return psamp_fail(err, "out of memory");
    for (int32_t i = 0; i < plan->n_points; i++)
        if (r->rows[i]) rows[n++] = r->rows[i];
    int rc = sweep_results_write(r->out, plan->cfg.name, plan->cfg.hash, plan->n_points, rows, n, err);
    free(rows);
    r->last_results = psamp_now_seconds();
    return rc;
}

static int write_shard_state(const sweep_run *r, const sweep_options *o, const char *state, psamp_err *err) {
    char hash[24], host[128] = "", name[64];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)r->plan->cfg.hash);
    snprintf(name, sizeof name, "shard-%d-of-%d.json", (int)o->shard_index, (int)o->shard_count);
    gethostname(host, sizeof host - 1);
    cJSON *s = cJSON_CreateObject(), *names = NULL;
    int ok = s && cJSON_AddStringToObject(s, "config_hash", hash) &&
             cJSON_AddNumberToObject(s, "shard", o->shard_index) &&
             cJSON_AddNumberToObject(s, "shards", o->shard_count) &&
             cJSON_AddStringToObject(s, "state", state) && cJSON_AddStringToObject(s, "host", host) &&
             cJSON_AddNumberToObject(s, "pid", (double)getpid()) &&
             cJSON_AddNumberToObject(s, "done_before", r->done_before) &&
             cJSON_AddNumberToObject(s, "ran", r->ran) && cJSON_AddNumberToObject(s, "failed", r->failed) &&
             (names = cJSON_AddArrayToObject(s, "points")) != NULL;
    for (int32_t i = 0; ok && i < r->plan->n_points; i++)
        if (r->mine[i]) ok = cJSON_AddItemToArray(names, cJSON_CreateString(r->plan->points[i].name));
    if (!ok) {
        cJSON_Delete(s);
        return psamp_fail(err, "out of memory");
    }
    return sweep_dir_write_json(r->out, "shards", name, s, err);
}

/* Marks this run's points, finds which are finished already, removes stale temporaries. */
static int survey(sweep_run *r, const sweep_options *o, char *mine, psamp_err *err) {
    const cli_sweep_plan *plan = r->plan;
    char id[24];
    for (int32_t i = 0; i < plan->n_points; i++) {
        sweep_point_state state;
        char *why = NULL;
        snprintf(id, sizeof id, "%016llx", (unsigned long long)plan->points[i].id);
        if (sweep_dir_point_state(r->out, plan->points[i].name, id, plan->cfg.hash, &state, &r->rows[i],
                                  &why, err) != 0)
            return -1;
        free(why);
        if (!mine[i]) continue;
        if (state == SWEEP_POINT_DONE) r->done_before++;
        else r->work_total += plan->points[i].est_tokens, r->todo++;
    }
    /* A whole run owns the folder; a shard only its own points (others may be running). */
    return sweep_dir_remove_stale(r->out, plan->points, plan->n_points, o->shard ? mine : NULL, err);
}

static void log_point(sweep_run *r, int32_t i, const char *status, double seconds) {
    char desc[256];
    if (r->quiet) return;
    cli_progress_finish(&r->progress);
    sweep_point_describe(&r->plan->cfg, &r->plan->points[i], desc, sizeof desc);
    fprintf(stderr, "psamp sweep: [%d/%d] %s %s (%s) %.2fs\n", (int)(r->ran + r->failed),
            (int)r->todo, status, r->plan->points[i].name, desc, seconds);
}

static int run_points(sweep_run *r, psamp_err *err) {
    const cli_sweep_plan *plan = r->plan;
    psamp_sampler_hooks hooks = {NULL, on_progress, r, cli_stop_flag()};
    for (int32_t i = 0; i < plan->n_points; i++) {
        if (!r->mine[i] || r->rows[i]) continue;
        if (cli_stop_signal()) {
            r->interrupted = 1;
            break;
        }
        psamp_err point_err = {{0}};
        snprintf(r->label, sizeof r->label, "psamp sweep %d/%d", (int)(r->ran + r->failed + 1), (int)r->todo);
        r->point_work = plan->points[i].est_tokens;
        double t0 = psamp_now_seconds();
        if (cli_sweep_run_point(plan, i, r->out, &hooks, &r->rows[i], &point_err) == 0) {
            r->ran++;
            log_point(r, i, "done", psamp_now_seconds() - t0);
        } else if (cli_stop_signal()) {
            /* Stopped mid-point: its samples' temporary is gone and nothing marks it done or
             * failed, so a rerun runs it again. */
            r->interrupted = 1;
            break;
        } else {
            r->failed++;
            log_point(r, i, "FAILED", psamp_now_seconds() - t0);
            fprintf(stderr, "psamp sweep: %s: %s\n", plan->points[i].name, point_err.msg);
            if (cli_sweep_mark_failed(plan, i, r->out, point_err.msg, err) != 0) return -1;
        }
        r->work_done += r->point_work;
        /* Whole runs keep results.* current, but rewriting them is O(points): at most every 2 s. */
        if (r->whole && psamp_now_seconds() - r->last_results > 2.0 && write_results(r, err) != 0) return -1;
    }
    cli_progress_finish(&r->progress);
    return 0;
}

static void print_list(const sweep_run *r, const sweep_options *o) {
    char desc[256];
    printf("# %d points (%d repeats dropped), config hash %016llx\n", (int)r->plan->n_points,
           (int)r->plan->n_dropped, (unsigned long long)r->plan->cfg.hash);
    printf("index\tname\tshard\test_tokens\tsettings\n");
    for (int32_t i = 0; i < r->plan->n_points; i++) {
        if (!r->mine[i]) continue;
        sweep_point_describe(&r->plan->cfg, &r->plan->points[i], desc, sizeof desc);
        printf("%d\t%s\t%d/%d\t%.0f\t%s\n", (int)i, r->plan->points[i].name, (int)o->shard_index,
               (int)o->shard_count, r->plan->points[i].est_tokens, desc);
    }
}

static int assign_shards(const cli_sweep_plan *plan, const sweep_options *o, char *mine, psamp_err *err) {
    int32_t n = plan->n_points;
    double *cost = malloc((size_t)(n > 0 ? n : 1) * sizeof *cost);
    int32_t *shard_of = malloc((size_t)(n > 0 ? n : 1) * sizeof *shard_of);
    int rc = cost && shard_of ? 0 : psamp_fail(err, "out of memory");
    for (int32_t i = 0; rc == 0 && i < n; i++) cost[i] = plan->points[i].est_tokens;
    if (rc == 0) rc = sweep_shard_assign(cost, n, o->shard_count, shard_of, err);
    for (int32_t i = 0; rc == 0 && i < n; i++) mine[i] = shard_of[i] == o->shard_index;
    free(cost);
    free(shard_of);
    return rc;
}

static int run_sweep(const sweep_options *o) {
    psamp_err err = {{0}};
    cli_sweep_plan plan;
    sweep_run r;
    sweep_lock lock;
    int status = 1;
    memset(&r, 0, sizeof r);
    sweep_lock_init(&lock);
    if (cli_sweep_plan_open(o->config, &plan, &err) != 0) {
        fprintf(stderr, "psamp sweep: %s\n", err.msg);
        return 1;
    }
    char *mine = calloc((size_t)(plan.n_points > 0 ? plan.n_points : 1), 1);
    r.rows = calloc((size_t)(plan.n_points > 0 ? plan.n_points : 1), sizeof *r.rows);
    r.out = o->out;
    r.plan = &plan;
    r.mine = mine;
    r.whole = o->shard == NULL;
    r.quiet = o->quiet;
    if (!mine || !r.rows) {
        psamp_fail(&err, "out of memory");
        goto done;
    }
    if (assign_shards(&plan, o, mine, &err) != 0) goto done;
    if (o->list) {
        print_list(&r, o);
        status = 0;
        goto done;
    }
    /* The lock before anything in the folder is read or written: a second writer stops here. */
    if (sweep_dir_prepare(o->out, &err) != 0 ||
        sweep_lock_take(o->out, r.whole ? SWEEP_LOCK_WHOLE : SWEEP_LOCK_SHARD, o->shard_index, o->shard_count, "--out",
                        &lock, &err) != 0 ||
        sweep_dir_claim(o->out, &plan.cfg, plan.points, plan.n_points, &err) != 0 ||
        survey(&r, o, mine, &err) != 0)
        goto done;
    if (!r.whole && write_shard_state(&r, o, "running", &err) != 0) goto done;
    cli_progress_init(&r.progress, r.label);
    if (run_points(&r, &err) != 0) goto done;
    if (!r.whole && write_shard_state(&r, o, r.interrupted ? "interrupted" : "finished", &err) != 0) goto done;
    if (r.whole && write_results(&r, &err) != 0) goto done;
    if (r.interrupted) {
        fprintf(stderr, "psamp sweep: interrupted by %s: %d of %d points finished in '%s' (%d this run); "
                "the same command resumes\n", cli_stop_name(), (int)(r.done_before + r.ran),
                (int)(r.done_before + r.todo), o->out, (int)r.ran);
        status = cli_stop_status();
        goto done;
    }
    printf("sweep %s: %d points", o->out, (int)plan.n_points);
    if (!r.whole) printf(", shard %d/%d has %d", (int)o->shard_index, (int)o->shard_count, (int)(r.done_before + r.todo));
    printf(": %d finished before, %d run now, %d failed\n", (int)r.done_before, (int)r.ran, (int)r.failed);
    if (r.whole) printf("results: %s/results.csv, %s/results.json\n", o->out, o->out);
    else printf("when every shard is done: psamp sweep --merge %s\n", o->out);
    status = r.failed > 0 ? 1 : 0;
done:
    if (status != 0 && err.msg[0]) fprintf(stderr, "psamp sweep: %s\n", err.msg);
    for (int32_t i = 0; r.rows && i < plan.n_points; i++) cJSON_Delete(r.rows[i]);
    free(r.rows);
    free(mine);
    cli_sweep_plan_close(&plan);
    sweep_lock_release(&lock);
    return status;
}

int cli_cmd_sweep(int argc, char **argv) {
    sweep_options o;
    psamp_err err = {{0}};
    memset(&o, 0, sizeof o);
    o.shard_count = 1;
    cli_option opts[] = {
        {"config", CLI_STRING, &o.config, "FILE", "sweep config (JSON; experiments/README.md, Sweeps)", 0},
        {"out", CLI_STRING, &o.out, "DIR", "output folder (created; reruns resume)", 0},
        {"shard", CLI_STRING, &o.shard, "I/N", "run only the I-th of N balanced parts (0 <= I < N)", 0},
        {"merge", CLI_STRING, &o.merge, "DIR", "join the shards in DIR into results.csv/.json", 0},
        {"list", CLI_FLAG, &o.list, NULL, "print the points (of --shard I/N) with estimated tokens; run nothing", 0},
        {"quiet", CLI_FLAG, &o.quiet, NULL, "no per-point lines on stderr", 0},
    };
    cli_command cmd = {"sweep", "run a grid of sampler settings, resumably, whole or in shards",
                       "--config FILE.json --out DIR [--shard I/N] | --merge DIR", SWEEP_DETAILS, opts,
                       (int)(sizeof opts / sizeof opts[0])};
    int rc = cli_parse(&cmd, argc, argv, &err);
    if (rc == 0 && o.merge && (o.config || o.out || o.shard || o.list))
        rc = psamp_fail(&err, "psamp sweep: --merge DIR takes no --config, --out, --shard or --list");
    if (rc == 0 && !o.merge && !o.config) rc = psamp_fail(&err, "psamp sweep: --config is required");
    if (rc == 0 && !o.merge && !o.out && !o.list) rc = psamp_fail(&err, "psamp sweep: --out is required");
    if (rc == 0 && o.shard) rc = sweep_shard_parse(o.shard, &o.shard_index, &o.shard_count, &err);
    if (rc != 0) {
        if (rc > 0) return 0;
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    if (o.merge) return cli_sweep_merge(o.merge, o.quiet);
    cli_stop_install();
    return run_sweep(&o);
}
