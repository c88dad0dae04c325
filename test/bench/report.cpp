/* report - turn the benchmark's CSV into a Markdown table and an SVG chart.
 *
 *   report bench.csv bench.md bench.svg
 *   report --sweep sweep.csv sweep.md sweep.svg
 *
 * The CSV has one row per measurement (see bench.sh for the columns): a model
 * or an nginx configuration under one workload (keepalive, close or idle).
 * nginx is measured several times in a run, between the models; its rows are
 * averaged here. The table goes to stdout and to bench.md; the chart draws
 * requests/s per model for both workloads as horizontal bars, with nginx's
 * best figure of each workload as a reference line. Rows named peer-* (other
 * servers' libraries) are listed like the models, with their ratios to nginx.
 *
 * --sweep: the keep-alive rows of the connection sweep, one per server and
 * number of connections; tables of requests/s, CPU per request, p99 and
 * errors with a column per number of connections, and a chart of how
 * requests/s and CPU per request change as the connections grow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 512
#define MAX_ENTRIES 128
#define FIELD 64

enum { C_MODEL, C_POLLER, C_WORKLOAD, C_CLIENT, C_CONNS, C_SECONDS, C_RPS, C_P50, C_P99, C_ERRORS, C_RSS,
       C_THREADS, C_PROCS, C_NGINX, C_RATIO, C_IDLE, C_CPU, C_USER, C_SYS, C_COUNT };

struct row {
    char f[C_COUNT][FIELD];
};

/* Everything known of one model (or nginx configuration), all workloads. */
struct entry {
    char name[FIELD], poller[FIELD];
    int rounds[2];
    double rps[2], p50[2], p99[2], nginx[2];
    double cpu[2], user[2], sys[2];   /* server CPU us per request: all, user, kernel */
    int has[2];
    long errors, rss_kb, threads, procs;
    double idle_bytes;
    int idle_conns, has_idle;
};

static row rows[MAX_ROWS];
static entry entries[MAX_ENTRIES];
static int nrows, nentries;
static char client[FIELD];

static int is_nginx(const char *name) { return !strncmp(name, "nginx", 5); }

static int read_csv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    int first = 1;
    while (fgets(line, sizeof(line), f) && nrows < MAX_ROWS) {
        if (first) {   /* the header */
            first = 0;
            continue;
        }
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        row *r = &rows[nrows++];
        memset(r, 0, sizeof(*r));
        const char *p = line;
        for (int c = 0; c < C_COUNT && p; c++) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n >= FIELD) n = FIELD - 1;
            memcpy(r->f[c], p, n);
            p = comma ? comma + 1 : 0;
        }
    }
    fclose(f);
    return 0;
}

static entry *entry_of(const char *name)
{
    for (int i = 0; i < nentries; i++)
        if (!strcmp(entries[i].name, name)) return &entries[i];
    if (nentries == MAX_ENTRIES) return 0;
    entry *e = &entries[nentries++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    return e;
}

static void gather(void)
{
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        entry *e = entry_of(r->f[C_MODEL]);
        if (!e) continue;
        if (r->f[C_POLLER][0]) snprintf(e->poller, sizeof(e->poller), "%s", r->f[C_POLLER]);
        if (!strcmp(r->f[C_WORKLOAD], "idle")) {   /* its RSS and refusals are the idle column's */
            e->has_idle = 1;
            e->idle_conns = atoi(r->f[C_CONNS]);
            e->idle_bytes = atof(r->f[C_IDLE]);
            continue;
        }
        e->errors += atol(r->f[C_ERRORS]);
        long rss = atol(r->f[C_RSS]), th = atol(r->f[C_THREADS]), pr = atol(r->f[C_PROCS]);
        if (rss > e->rss_kb) e->rss_kb = rss;
        if (th > e->threads) e->threads = th;
        if (pr > e->procs) e->procs = pr;
        int w = !strcmp(r->f[C_WORKLOAD], "close");
        if (r->f[C_CLIENT][0]) snprintf(client, sizeof(client), "%s", r->f[C_CLIENT]);
        /* repeated measurements (nginx between the models) are averaged */
        int k = ++e->rounds[w];
        e->has[w] = 1;
        e->rps[w] += (atof(r->f[C_RPS]) - e->rps[w]) / k;
        e->p50[w] += (atof(r->f[C_P50]) - e->p50[w]) / k;
        e->p99[w] += (atof(r->f[C_P99]) - e->p99[w]) / k;
        e->nginx[w] += (atof(r->f[C_NGINX]) - e->nginx[w]) / k;
        e->cpu[w] += (atof(r->f[C_CPU]) - e->cpu[w]) / k;
        e->user[w] += (atof(r->f[C_USER]) - e->user[w]) / k;
        e->sys[w] += (atof(r->f[C_SYS]) - e->sys[w]) / k;
    }
}

/* The best nginx average of a workload: the reference line. */
static double nginx_best(int w)
{
    double best = 0;
    for (int i = 0; i < nentries; i++)
        if (is_nginx(entries[i].name) && entries[i].has[w] && entries[i].rps[w] > best) best = entries[i].rps[w];
    return best;
}

/* The lowest nginx CPU per request of a workload (its most efficient
 * configuration, averaged over its rounds): what a model's CPU is set against. */
static double nginx_cpu(int w)
{
    double best = 0;
    for (int i = 0; i < nentries; i++)
        if (is_nginx(entries[i].name) && entries[i].has[w] && entries[i].cpu[w] > 0 &&
            (best == 0 || entries[i].cpu[w] < best))
            best = entries[i].cpu[w];
    return best;
}

static void cell_cpu(FILE *out, const entry *e, int w)
{
    double ref = nginx_cpu(w);
    if (!e->has[w] || e->cpu[w] <= 0) {
        fprintf(out, " - | - |");
        return;
    }
    fprintf(out, " %.2f (%.2f + %.2f) |", e->cpu[w], e->user[w], e->sys[w]);
    if (is_nginx(e->name) || ref <= 0) fprintf(out, " - |");
    else fprintf(out, " %.2f |", e->cpu[w] / ref);
}

static void cell_rate(FILE *out, const entry *e, int w)
{
    cell_cpu(out, e, w);
    if (!e->has[w]) {
        fprintf(out, " - | - | - |");
        return;
    }
    fprintf(out, " %.0f |", e->rps[w]);
    if (is_nginx(e->name) || e->nginx[w] <= 0) fprintf(out, " - |");
    else fprintf(out, " %.2f |", e->rps[w] / e->nginx[w]);
    fprintf(out, " %.0f / %.0f |", e->p50[w], e->p99[w]);
}

static void write_table(FILE *out)
{
    fprintf(out, "| model | poller | keep-alive CPU us/req (user + sys) | x nginx | keep-alive req/s | x nginx | "
                 "p50 / p99 us | close CPU us/req (user + sys) | x nginx | close req/s | x nginx | "
                 "p50 / p99 us | errors | peak RSS KiB | threads / procs | idle B/conn |\n");
    fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < nentries; i++) {
        const entry *e = &entries[i];
        if (is_nginx(e->name) && e->rounds[0] > 1)
            fprintf(out, "| %s (mean of %d) | %s |", e->name, e->rounds[0], e->poller[0] ? e->poller : "-");
        else
            fprintf(out, "| %s | %s |", e->name, e->poller[0] ? e->poller : "-");
        cell_rate(out, e, 0);
        cell_rate(out, e, 1);
        fprintf(out, " %ld | %ld | %ld / %ld |", e->errors, e->rss_kb, e->threads, e->procs);
        if (e->has_idle) fprintf(out, " %.0f (%d conns) |\n", e->idle_bytes, e->idle_conns);
        else fprintf(out, " - |\n");
    }
    fprintf(out, "\nLoad client: %s. CPU us/req: the server's user and system time (its whole process tree, "
                 "reaped children included) over the measured run, per request answered: the headline, as the "
                 "load client bounds requests/s here; its x nginx is to nginx's lowest (most efficient "
                 "configuration, mean of its rounds). req/s x nginx: the model's requests/s over the best "
                 "nginx configuration of the rounds just before and just after it in the same run, averaged.\n",
            client[0] ? client : "unknown");
}

/* A round step (1, 2 or 5 times a power of ten) giving about six ticks. */
static double tick_step(double max)
{
    double step = 1;
    while (step * 10 <= max) step *= 10;
    if (max / step < 2) step /= 5;
    else if (max / step < 5) step /= 2;
    return step > 0 ? step : 1;
}

static void write_svg(FILE *out)
{
    static const char *colour[2] = { "#2f6db5", "#e08a1e" };
    static const char *label[2] = { "keep-alive", "Connection: close" };
    const int left = 210, right = 90, top = 84, row_h = 30, bar_h = 12, width = 960;
    int bars = 0;
    double max = 0;
    for (int i = 0; i < nentries; i++) {
        if (is_nginx(entries[i].name)) continue;
        bars++;
        for (int w = 0; w < 2; w++)
            if (entries[i].rps[w] > max) max = entries[i].rps[w];
    }
    double ref[2] = { nginx_best(0), nginx_best(1) };
    for (int w = 0; w < 2; w++)
        if (ref[w] > max) max = ref[w];
    double step = tick_step(max > 0 ? max : 1);
    double scale_max = step;
    while (scale_max < max * 1.02) scale_max += step;
    const int plot_w = width - left - right, plot_h = bars * row_h;
    const int height = top + plot_h + 56;
#define X(v) (left + (int)((v) / scale_max * plot_w + 0.5))

    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n",
            width, height, width, height);
    fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(out, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">requests/s per model "
                 "(GET /, 13-byte body; load client %s)</text>\n",
            left - 200, client[0] ? client : "unknown");
    for (int w = 0; w < 2; w++) {   /* legend */
        int x = left - 200 + w * 190;
        fprintf(out, "<rect x=\"%d\" y=\"34\" width=\"14\" height=\"12\" fill=\"%s\"/>\n", x, colour[w]);
        fprintf(out, "<text x=\"%d\" y=\"45\">%s</text>\n", x + 20, label[w]);
    }
    fprintf(out, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"40\" stroke=\"#444\" stroke-dasharray=\"5,3\" "
                 "stroke-width=\"2\"/>\n<text x=\"%d\" y=\"45\">nginx (best, per workload)</text>\n",
            left + 180, left + 210, left + 216);

    for (double v = 0; v <= scale_max + step / 2; v += step) {   /* grid and axis */
        int x = X(v);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, top - 4, x,
                top + plot_h);
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.0fk</text>\n", x, top + plot_h + 16,
                v / 1000);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">requests per second</text>\n",
            left + plot_w / 2, top + plot_h + 36);

    int k = 0;
    for (int i = 0; i < nentries; i++) {
        const entry *e = &entries[i];
        if (is_nginx(e->name)) continue;
        int y = top + k++ * row_h;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + row_h / 2 + 4,
                e->name);
        for (int w = 0; w < 2; w++) {
            if (!e->has[w]) continue;
            int by = y + 3 + w * bar_h;
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", left, by,
                    X(e->rps[w]) - left, bar_h, colour[w]);
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%.1fk</text>\n", X(e->rps[w]) + 4,
                    by + bar_h - 2, e->rps[w] / 1000);
        }
    }
    for (int w = 0; w < 2; w++) {
        if (ref[w] <= 0) continue;
        int x = X(ref[w]);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"5,3\" "
                     "stroke-width=\"2\"/>\n",
                x, top - 6, x, top + plot_h, colour[w]);
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" text-anchor=\"middle\">nginx "
                     "%.1fk</text>\n",
                x, top - 9 - w * 11, colour[w], ref[w] / 1000);
    }
    fprintf(out, "</svg>\n");
#undef X
}

/* ---- the connection sweep (report --sweep) ------------------------------ */

#define MAX_POINTS 8

/* One server's keep-alive figures at each connection count of the sweep. */
struct series {
    char name[FIELD], poller[FIELD];
    int n[MAX_POINTS];   /* measurements averaged at each point (0: none) */
    double rps[MAX_POINTS], p99[MAX_POINTS], cpu[MAX_POINTS];
    long errors[MAX_POINTS];
};

static series sweep[MAX_ENTRIES];
static int nsweep, npoints;
static int points[MAX_POINTS];   /* the connection counts, ascending */

static int point_of(int conns)
{
    for (int i = 0; i < npoints; i++)
        if (points[i] == conns) return i;
    return -1;
}

/* The connection counts of the CSV, ascending. */
static void find_points(void)
{
    for (int i = 0; i < nrows; i++) {
        int c = atoi(rows[i].f[C_CONNS]), at = npoints;
        if (point_of(c) >= 0 || npoints == MAX_POINTS) continue;
        while (at > 0 && points[at - 1] > c) {
            points[at] = points[at - 1];
            at--;
        }
        points[at] = c;
        npoints++;
    }
}

static void gather_sweep(void)
{
    find_points();
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (strcmp(r->f[C_WORKLOAD], "keepalive")) continue;
        if (r->f[C_CLIENT][0]) snprintf(client, sizeof(client), "%s", r->f[C_CLIENT]);
        series *e = 0;
        for (int s = 0; s < nsweep && !e; s++)
            if (!strcmp(sweep[s].name, r->f[C_MODEL])) e = &sweep[s];
        if (!e) {
            if (nsweep == MAX_ENTRIES) continue;
            e = &sweep[nsweep++];
            memset(e, 0, sizeof(*e));
            snprintf(e->name, sizeof(e->name), "%s", r->f[C_MODEL]);
            snprintf(e->poller, sizeof(e->poller), "%s", r->f[C_POLLER]);
        }
        int p = point_of(atoi(r->f[C_CONNS]));
        if (p < 0) continue;
        int k = ++e->n[p];   /* nginx before and after the models: averaged */
        e->rps[p] += (atof(r->f[C_RPS]) - e->rps[p]) / k;
        e->p99[p] += (atof(r->f[C_P99]) - e->p99[p]) / k;
        e->cpu[p] += (atof(r->f[C_CPU]) - e->cpu[p]) / k;
        e->errors[p] += atol(r->f[C_ERRORS]);
    }
}

enum metric { M_RPS, M_P99, M_CPU, M_ERRORS };

static double value(const series *e, enum metric m, int p)
{
    switch (m) {
    case M_RPS: return e->rps[p];
    case M_P99: return e->p99[p];
    case M_CPU: return e->cpu[p];
    default: return (double)e->errors[p];
    }
}

/* nginx's figure at a point: its best req/s, its lowest CPU per request. */
static double sweep_nginx(enum metric m, int p)
{
    double best = 0;
    for (int s = 0; s < nsweep; s++) {
        const series *e = &sweep[s];
        double v = value(e, m, p);
        if (!is_nginx(e->name) || !e->n[p] || v <= 0) continue;
        if (best == 0 || (m == M_RPS ? v > best : v < best)) best = v;
    }
    return best;
}

static void sweep_table(FILE *out, const char *title, enum metric m)
{
    fprintf(out, "\n%s\n\n| model | poller |", title);
    for (int p = 0; p < npoints; p++) fprintf(out, " %d conns |", points[p]);
    fprintf(out, "\n|---|---|");
    for (int p = 0; p < npoints; p++) fprintf(out, "---:|");
    fprintf(out, "\n");
    for (int s = 0; s < nsweep; s++) {
        const series *e = &sweep[s];
        fprintf(out, "| %s | %s |", e->name, e->poller[0] ? e->poller : "-");
        for (int p = 0; p < npoints; p++) {
            double v = value(e, m, p), ref = sweep_nginx(m, p);
            if (!e->n[p] || (m == M_CPU && v <= 0)) {   /* not run, or no CPU figure (measure() says why) */
                fprintf(out, " - |");
                continue;
            }
            if (m == M_CPU) fprintf(out, " %.2f", v);
            else fprintf(out, " %.0f", v);
            if ((m == M_RPS || m == M_CPU) && !is_nginx(e->name) && ref > 0) fprintf(out, " (%.2f)", v / ref);
            fprintf(out, " |");
        }
        fprintf(out, "\n");
    }
}

static void write_sweep_tables(FILE *out)
{
    fprintf(out, "Keep-alive GET / at each number of connections (load client %s; nginx: the mean of its runs "
                 "before and after the models).\n",
            client[0] ? client : "unknown");
    sweep_table(out, "Requests/s (x nginx's best configuration at that point):", M_RPS);
    sweep_table(out, "Server CPU us per request (x nginx's lowest at that point):", M_CPU);
    sweep_table(out, "p99 latency, us:", M_P99);
    sweep_table(out, "Errors (socket errors and non-2xx answers):", M_ERRORS);
}

/* One panel of the sweep chart: METRIC against the connections (log scale),
 * a line per server; nginx dashed; the legend on the right. */
static int panel_height(void)
{
    int legend = 24 + nsweep * 15;
    return (legend > 320 ? legend : 320) + 20;
}

static void sweep_panel(FILE *out, int top, const char *title, enum metric m, double unit, const char *suffix)
{
    static const char *colour[] = { "#2f6db5", "#e08a1e", "#3a9a4a", "#c8372d", "#8a5cc2", "#7f5a3a",
                                    "#d16fb0", "#6f7f8f", "#a8a020", "#20a8b8" };
    const int left = 70, plot_w = 560, plot_h = 260;
    double max = 0;
    for (int s = 0; s < nsweep; s++)
        for (int p = 0; p < npoints; p++)
            if (sweep[s].n[p] && value(&sweep[s], m, p) > max) max = value(&sweep[s], m, p);
    double step = tick_step(max > 0 ? max : 1), scale_max = step;
    while (scale_max < max * 1.02) scale_max += step;
    /* x: the points at equal steps (10, 100, 1000, 5000: about a log scale) */
#define PX(p) (left + (npoints > 1 ? (p) * plot_w / (npoints - 1) : plot_w / 2))
#define PY(v) (top + 24 + plot_h - (int)((v) / scale_max * plot_h + 0.5))
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", left, top + 12, title);
    for (double v = 0; v <= scale_max + step / 2; v += step) {
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", left, PY(v),
                left + plot_w, PY(v));
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g%s</text>\n", left - 6, PY(v) + 4, v / unit,
                suffix);
    }
    for (int p = 0; p < npoints; p++)
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", PX(p),
                PY(0) + 16, points[p]);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">keep-alive connections</text>\n",
            left + plot_w / 2, PY(0) + 32);
    for (int s = 0, k = 0; s < nsweep; s++) {
        const series *e = &sweep[s];
        const char *c = is_nginx(e->name) ? "#222" : colour[k++ % 10];
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c,
                is_nginx(e->name) ? " stroke-dasharray=\"5,3\"" : "");
        for (int p = 0; p < npoints; p++)
            if (e->n[p]) fprintf(out, "%d,%d ", PX(p), PY(value(e, m, p)));
        fprintf(out, "\"/>\n");
        /* the legend, right of the plot */
        int ly = top + 24 + s * 15;
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                left + plot_w + 20, ly - 4, left + plot_w + 40, ly - 4, c,
                is_nginx(e->name) ? " stroke-dasharray=\"5,3\"" : "");
        fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", left + plot_w + 46, ly, e->name);
    }
#undef PX
#undef PY
}

static void write_sweep_svg(FILE *out)
{
    const int width = 900;
    int h1 = panel_height(), height = 40 + 2 * h1;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
                 "fill=\"white\"/>\n",
            width, height, width, height);
    fprintf(out, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">keep-alive GET / as the "
                 "connections grow (load client %s)</text>\n",
            client[0] ? client : "unknown");
    sweep_panel(out, 40, "requests/s", M_RPS, 1000, "k");
    sweep_panel(out, 40 + h1, "server CPU us per request", M_CPU, 1, "");
    fprintf(out, "</svg>\n");
}

int main(int argc, char **argv)
{
    int sweep_mode = argc == 5 && !strcmp(argv[1], "--sweep");
    if (argc != 4 && !sweep_mode) {
        fprintf(stderr, "usage: report bench.csv bench.md bench.svg\n       report --sweep sweep.csv sweep.md sweep.svg\n");
        return 2;
    }
    argv += sweep_mode;
    if (read_csv(argv[1])) {
        perror(argv[1]);
        return 1;
    }
    FILE *md = fopen(argv[2], "w"), *svg = fopen(argv[3], "w");
    if (!md || !svg) {
        perror("report");
        return 1;
    }
    if (sweep_mode) {
        gather_sweep();
        write_sweep_tables(stdout);
        write_sweep_tables(md);
        write_sweep_svg(svg);
    } else {
        gather();
        write_table(stdout);
        write_table(md);
        write_svg(svg);
    }
    fclose(md);
    return fclose(svg) ? 1 : 0;
}
