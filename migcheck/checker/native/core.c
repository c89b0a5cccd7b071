/* The native explorer's engine: generic over the model, which the generator inserts as
 * `expand_state` (successors of one packed state) between the two halves of this file.
 *
 * Breadth-first search in rounds.  A round takes the next chunk of unexpanded states (in
 * index order) and runs three phases:
 *   expand  - slices of the chunk, in parallel: each state's successors (packed words, action,
 *             hash) go to the slice's buffer; self-loops are only counted;
 *   insert  - partitions of the state table, in parallel: partition q looks up every
 *             successor whose hash belongs to q, in order; a state seen for the first time
 *             gets a pending entry;
 *   commit  - serial: successors in order; a pending state gets the next index at its first
 *             occurrence, so indices are exactly those of a one-by-one BFS whatever the number
 *             of slices and partitions; edges are appended (CSR: per state its out-degree,
 *             per edge its target and action); parent links are kept for shortest paths.
 * States are stored exactly: the table holds indices into the dense array of packed states.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*@PARAMS@*/

#define PEND 0x80000000u
#define UNSET 0xffffffffu

typedef struct {
    uint64_t *succ;  /* W words per successor */
    uint64_t *hash;
    act_t *act;
    uint32_t *src;   /* the state it is a successor of */
    uint32_t *res;   /* after insert: state index + 1, or PEND | pending id */
    uint64_t cur;    /* the state being expanded */
    uint64_t ns, cap;
    uint64_t self_loops;
    uint64_t lo, hi, stop;  /* states [lo, stop) were expanded */
    int64_t err_state;
    int32_t err_action;
    uint64_t hits;           /* watched predicates that were false in this slice */
    int64_t hit_at[64];
} Slice;

typedef struct {
    uint64_t *states; uint64_t n, cap;   /* W words per state */
    uint32_t *parent; act_t *pact;       /* per state (cap) */
    deg_t *deg; fair_t *fair; mark_t *marks;  /* per expanded state (xcap) */
    uint64_t xcap;
    uint32_t *dst; act_t *eact; uint64_t ne, ecap;
    uint64_t expanded, self_loops;       /* states [0, expanded) have their edges */
    uint64_t next;                       /* n once the round is finished */
} Graph;

typedef struct {
    uint32_t *slot; uint64_t size, used;
    /* per state new in this round (pending id), in order of first occurrence: its words, its
     * slot, its number (after mc_number), its position among the round's successors, the
     * state it was first found from and by which action */
    const uint64_t **pend_key; uint64_t *pend_pos; uint32_t *pend_index;
    uint64_t *pend_seq; uint32_t *pend_src; act_t *pend_act;
    uint64_t npend, pcap;
} Table;

static int grow(void **p, uint64_t *cap, uint64_t need, size_t elem) {
    if (need <= *cap) return 0;
    uint64_t c = *cap ? *cap : 1024;
    while (c < need) c += c / 2 + 1024;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q; *cap = c;
    return 0;
}

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t hash_words(const uint64_t *w) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < W; i++) h = mix(h ^ w[i]) + (uint64_t)i;
    return h;
}

static inline uint32_t owner(uint64_t h, uint32_t parts) {
    return (uint32_t)(((h >> 32) * (uint64_t)parts) >> 32);
}

/* the partition a packed state belongs to (for a caller placing a state by hand) */
uint32_t mc_owner(const uint64_t *words, uint32_t parts) { return owner(hash_words(words), parts); }

static inline int same(const uint64_t *a, const uint64_t *b) {
    for (int i = 0; i < W; i++) if (a[i] != b[i]) return 0;
    return 1;
}

static inline int push(Slice *o, const uint64_t *n, int action) {
    if (o->ns == o->cap) {
        uint64_t c = o->cap;
        if (grow((void **)&o->succ, &c, o->ns + 1, 8 * W)) return -1;
        c = o->cap; if (grow((void **)&o->hash, &c, o->ns + 1, 8)) return -1;
        c = o->cap; if (grow((void **)&o->act, &c, o->ns + 1, sizeof(act_t))) return -1;
        c = o->cap; if (grow((void **)&o->res, &c, o->ns + 1, 4)) return -1;
        c = o->cap; if (grow((void **)&o->src, &c, o->ns + 1, 4)) return -1;
        o->cap = c;
    }
    memcpy(o->succ + o->ns * W, n, 8 * W);
    o->hash[o->ns] = hash_words(n);
    o->act[o->ns] = (act_t)action;
    o->src[o->ns] = (uint32_t)o->cur;
    o->ns++;
    return 0;
}

#define FIELD(s, w, sh, m) ((int64_t)(((s)[w] >> (sh)) & (m)))
#define SET(n, w, sh, m, v) ((n)[w] = ((n)[w] & ~((uint64_t)(m) << (sh))) \
                                      | ((((uint64_t)(v)) & (m)) << (sh)))
#define EMIT(k, bit) do { \
        if (same(n, s)) { o->self_loops++; } \
        else { *fair |= (bit); (*deg)++; if (push(o, n, k)) return -2; } \
    } while (0)

/*@MODEL@*/

/* ---------------------------------------------------------------- graph and table */

Graph *mc_graph_new(void) { return calloc(1, sizeof(Graph)); }

void mc_graph_free(Graph *g) {
    if (!g) return;
    free(g->states); free(g->parent); free(g->pact); free(g->deg); free(g->fair); free(g->marks);
    free(g->dst); free(g->eact); free(g);
}

static int reserve_states(Graph *g, uint64_t need) {
    if (need <= g->cap) return 0;
    uint64_t c = g->cap;
    if (grow((void **)&g->states, &c, need, 8 * W)) return -1;
    uint64_t c2 = g->cap; if (grow((void **)&g->parent, &c2, c, 4)) return -1;
    c2 = g->cap; if (grow((void **)&g->pact, &c2, c, sizeof(act_t))) return -1;
    g->cap = c;
    return 0;
}

int mc_graph_add_initial(Graph *g, const uint64_t *words) {
    if (reserve_states(g, 1)) return -1;
    memcpy(g->states, words, 8 * W);
    g->parent[0] = UNSET; g->pact[0] = 0; g->n = 1;
    return 0;
}

/* sizes: n, ne, expanded, self_loops;
 * pointers: states, parent, pact, deg, fair, dst, eact, marks */
void mc_graph_info(const Graph *g, uint64_t *sizes, void **ptrs) {
    sizes[0] = g->n; sizes[1] = g->ne; sizes[2] = g->expanded; sizes[3] = g->self_loops;
    ptrs[0] = g->states; ptrs[1] = g->parent; ptrs[2] = g->pact; ptrs[3] = g->deg;
    ptrs[4] = g->fair; ptrs[5] = g->dst; ptrs[6] = g->eact; ptrs[7] = g->marks;
}

/* room for the per-expanded-state arrays up to state `hi` (call before a round) */
int mc_graph_prepare(Graph *g, uint64_t hi) {
    if (hi <= g->xcap) return 0;
    uint64_t c = g->xcap;
    if (grow((void **)&g->deg, &c, hi, sizeof(deg_t))) return -1;
    uint64_t c2 = g->xcap; if (grow((void **)&g->fair, &c2, c, sizeof(fair_t))) return -1;
    c2 = g->xcap; if (grow((void **)&g->marks, &c2, c, sizeof(mark_t))) return -1;
    g->xcap = c;
    return 0;
}

/* put back a graph saved from the arrays mc_graph_info gives (a checkpoint) */
int mc_graph_restore(Graph *g, uint64_t n, uint64_t ne, uint64_t expanded, uint64_t self_loops,
                     const uint64_t *states, const uint32_t *parent, const act_t *pact,
                     const deg_t *deg, const fair_t *fair, const uint32_t *dst,
                     const act_t *eact, const mark_t *marks) {
    if (reserve_states(g, n) || mc_graph_prepare(g, expanded)) return -1;
    uint64_t c = g->ecap;
    if (grow((void **)&g->dst, &c, ne, 4)) return -1;
    uint64_t c2 = g->ecap; if (grow((void **)&g->eact, &c2, c, sizeof(act_t))) return -1;
    g->ecap = c;
    memcpy(g->states, states, 8 * W * n);
    memcpy(g->parent, parent, 4 * n); memcpy(g->pact, pact, sizeof(act_t) * n);
    memcpy(g->deg, deg, sizeof(deg_t) * expanded); memcpy(g->fair, fair, sizeof(fair_t) * expanded);
    memcpy(g->marks, marks, sizeof(mark_t) * expanded);
    memcpy(g->dst, dst, 4 * ne); memcpy(g->eact, eact, sizeof(act_t) * ne);
    g->n = n; g->ne = ne; g->expanded = expanded; g->self_loops = self_loops;
    return 0;
}

Table *mc_table_new(void) { return calloc(1, sizeof(Table)); }

void mc_table_free(Table *t) {
    if (!t) return;
    free(t->slot); free(t->pend_key); free(t->pend_pos); free(t->pend_index);
    free(t->pend_seq); free(t->pend_src); free(t->pend_act); free(t);
}

uint64_t mc_table_bytes(const Table *t) { return t->size * 4; }

static int rehash(Table *t, const Graph *g, uint64_t size) {
    uint32_t *slot = calloc(size, 4);
    if (!slot) return -1;
    uint64_t mask = size - 1;
    for (uint64_t i = 0; i < t->size; i++) {
        uint32_t v = t->slot[i];
        if (!v) continue;
        uint64_t p = hash_words(g->states + (uint64_t)(v - 1) * W) & mask;
        while (slot[p]) p = (p + 1) & mask;
        slot[p] = v;
    }
    free(t->slot);
    t->slot = slot; t->size = size;
    return 0;
}

/* insert the initial state (into the table of the partition that owns it) */
int mc_table_add_initial(Table *t, const Graph *g) {
    if (rehash(t, g, 1024)) return -1;
    uint64_t p = hash_words(g->states) & (t->size - 1);
    t->slot[p] = 1; t->used = 1;
    return 0;
}

/* the table of partition q of `parts`, rebuilt from the graph's states (after a restore) */
int mc_table_rebuild(Table *t, const Graph *g, uint32_t q, uint32_t parts) {
    uint64_t owned = 0, size = 1024;
    for (uint64_t i = 0; i < g->n; i++) owned += owner(hash_words(g->states + i * W), parts) == q;
    while (owned * 10 > size * 7) size *= 2;
    uint32_t *slot = calloc(size, 4);
    if (!slot) return -1;
    for (uint64_t i = 0; i < g->n; i++) {
        uint64_t h = hash_words(g->states + i * W);
        if (owner(h, parts) != q) continue;
        uint64_t p = h & (size - 1);
        while (slot[p]) p = (p + 1) & (size - 1);
        slot[p] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = slot; t->size = size; t->used = owned; t->npend = 0;
    return 0;
}

Slice *mc_slice_new(void) { return calloc(1, sizeof(Slice)); }

void mc_slice_free(Slice *o) {
    if (!o) return;
    free(o->succ); free(o->hash); free(o->act); free(o->res); free(o->src); free(o);
}

/* info: ns, self_loops, stop, err_state, err_action, hits; then hit_at[64] */
void mc_slice_info(const Slice *o, int64_t *info) {
    info[0] = (int64_t)o->ns; info[1] = (int64_t)o->self_loops; info[2] = (int64_t)o->stop;
    info[3] = o->err_state; info[4] = o->err_action; info[5] = (int64_t)o->hits;
    for (int i = 0; i < 64; i++) info[6 + i] = o->hit_at[i];
}

/* ---------------------------------------------------------------- the three phases */

/* expand states [lo, hi); watch: the marked predicates whose first failure is still sought
 * (hit_at: the first state of the slice where each is false).  Stops at the first
 * state with an out-of-domain assignment (err_state, err_action); returns -1 when out of
 * memory. */
int mc_expand(Graph *g, Slice *o, uint64_t lo, uint64_t hi, uint64_t watch) {
    o->ns = 0; o->self_loops = 0; o->lo = lo; o->hi = hi; o->stop = hi;
    o->err_state = -1; o->err_action = -1; o->hits = 0;
    for (uint64_t i = lo; i < hi; i++) {
        const uint64_t *s = g->states + i * W;
        uint64_t ns = o->ns, loops = o->self_loops;
        g->deg[i] = 0; g->fair[i] = 0;
        o->cur = i;
        int r = expand_state(s, o, &g->marks[i], &g->deg[i], &g->fair[i]);
        uint64_t hit = watch & ~(uint64_t)g->marks[i];
        if (hit) {
            for (int j = 0; j < 64; j++)
                if ((hit >> j) & 1) o->hit_at[j] = (int64_t)i;
            o->hits |= hit; watch &= ~hit;
        }
        if (r == -2) return -1;
        if (r >= 0) {  /* keep only the states before it */
            o->ns = ns; o->self_loops = loops; o->stop = i;
            o->err_state = (int64_t)i; o->err_action = r;
            return 0;
        }
    }
    return 0;
}

/* partition q of `parts`: look up every successor of the slices that q owns */
int mc_insert(Graph *g, Table *t, Slice **slices, int nslices, uint32_t q, uint32_t parts) {
    uint64_t owned = 0;
    for (int k = 0; k < nslices; k++)
        for (uint64_t j = 0; j < slices[k]->ns; j++)
            owned += owner(slices[k]->hash[j], parts) == q;
    if ((t->used + owned) * 10 > t->size * 7) {
        uint64_t size = t->size ? t->size : 1024;
        while ((t->used + owned) * 10 > size * 7) size *= 2;
        if (rehash(t, g, size)) return -1;
    }
    t->npend = 0;
    uint64_t mask = t->size - 1, seq = 0;
    for (int k = 0; k < nslices; k++) {
        Slice *o = slices[k];
        for (uint64_t j = 0; j < o->ns; j++, seq++) {
            /* the table and the states are far bigger than the caches: fetch the slot of a
             * successor a few places ahead, and the state in the slot of a nearer one */
            if (j + 16 < o->ns && owner(o->hash[j + 16], parts) == q)
                __builtin_prefetch(&t->slot[o->hash[j + 16] & mask]);
            if (j + 8 < o->ns && owner(o->hash[j + 8], parts) == q) {
                uint32_t v = t->slot[o->hash[j + 8] & mask];
                if (v && !(v & PEND)) __builtin_prefetch(g->states + (uint64_t)(v - 1) * W);
            }
            uint64_t h = o->hash[j];
            if (owner(h, parts) != q) continue;
            const uint64_t *key = o->succ + j * W;
            uint64_t p = h & mask;
            for (;;) {
                uint32_t v = t->slot[p];
                if (!v) {
                    if (t->npend == t->pcap) {
                        uint64_t c = t->pcap, need = t->npend + 1;
                        if (grow((void **)&t->pend_key, &c, need, sizeof(void *))) return -1;
                        c = t->pcap; if (grow((void **)&t->pend_pos, &c, need, 8)) return -1;
                        c = t->pcap; if (grow((void **)&t->pend_index, &c, need, 4)) return -1;
                        c = t->pcap; if (grow((void **)&t->pend_seq, &c, need, 8)) return -1;
                        c = t->pcap; if (grow((void **)&t->pend_src, &c, need, 4)) return -1;
                        c = t->pcap;
                        if (grow((void **)&t->pend_act, &c, need, sizeof(act_t))) return -1;
                        t->pcap = c;
                    }
                    uint64_t id = t->npend++;
                    t->pend_key[id] = key; t->pend_pos[id] = p; t->pend_index[id] = UNSET;
                    t->pend_seq[id] = seq; t->pend_src[id] = o->src[j];
                    t->pend_act[id] = o->act[j];
                    t->slot[p] = o->res[j] = PEND | (uint32_t)id;
                    t->used++;
                    break;
                }
                const uint64_t *other = (v & PEND) ? t->pend_key[v & ~PEND]
                                                   : g->states + (uint64_t)(v - 1) * W;
                if (same(key, other)) { o->res[j] = v; break; }
                p = (p + 1) & mask;
            }
        }
    }
    return 0;
}

/* serial, and short: number the round's new states in the order a one-by-one search finds
 * them (a merge of the partitions' pending lists by first occurrence), and make room for
 * them and for the round's edges */
int mc_number(Graph *g, Table **tables, uint32_t parts, Slice **slices, int nslices) {
    uint64_t pending = 0, edges = 0;
    for (uint32_t q = 0; q < parts; q++) pending += tables[q]->npend;
    for (int k = 0; k < nslices; k++) edges += slices[k]->ns;
    if (g->n + pending >= PEND) return -2;
    if (reserve_states(g, g->n + pending)) return -1;
    uint64_t c = g->ecap;
    if (grow((void **)&g->dst, &c, g->ne + edges, 4)) return -1;
    uint64_t c2 = g->ecap; if (grow((void **)&g->eact, &c2, c, sizeof(act_t))) return -1;
    g->ecap = c;
    uint64_t head[256] = {0};
    if (parts > 256) return -3;
    g->next = g->n;  /* n itself moves in mc_finish: a round cut short leaves no half state */
    for (uint64_t done = 0; done < pending; done++) {
        uint32_t best = UNSET;
        for (uint32_t q = 0; q < parts; q++) {
            Table *t = tables[q];
            if (head[q] < t->npend &&
                (best == UNSET || t->pend_seq[head[q]] < tables[best]->pend_seq[head[best]]))
                best = q;
        }
        tables[best]->pend_index[head[best]++] = (uint32_t)g->next++;
    }
    return 0;
}

/* partition q, in parallel with the others: store its new states, settle its table */
void mc_place(Graph *g, Table *t) {
    for (uint64_t id = 0; id < t->npend; id++) {
        uint32_t index = t->pend_index[id];
        memcpy(g->states + (uint64_t)index * W, t->pend_key[id], 8 * W);
        g->parent[index] = t->pend_src[id]; g->pact[index] = t->pend_act[id];
        t->slot[t->pend_pos[id]] = index + 1;
    }
}

/* slice k, in parallel with the others: its edges, from position `at` on */
void mc_edges(Graph *g, Table **tables, uint32_t parts, const Slice *o, uint64_t at) {
    for (uint64_t j = 0; j < o->ns; j++) {
        uint32_t v = o->res[j];
        g->dst[at + j] = (v & PEND) ? tables[owner(o->hash[j], parts)]->pend_index[v & ~PEND]
                                    : v - 1;
        g->eact[at + j] = o->act[j];
    }
}

/* the round is done: count its edges, self-loops and expanded states */
void mc_finish(Graph *g, Slice **slices, int nslices) {
    g->n = g->next;
    for (int k = 0; k < nslices; k++) {
        g->ne += slices[k]->ns;
        g->self_loops += slices[k]->self_loops;
        g->expanded = slices[k]->stop;
    }
}

/* ---------------------------------------------------------------- for the decisions */

/* per state, its depth (parents come before their children) */
void mc_depths(const Graph *g, int32_t *out) {
    if (!g->n) return;
    out[0] = 0;
    for (uint64_t i = 1; i < g->n; i++) out[i] = out[g->parent[i]] + 1;
}

/* per state, the bits of the given slots side by side (at most 64 bits in all): its code
 * among the distinct such keys in order of first appearance (codes), the keys themselves
 * (distinct, room for n); returns their number, or -1 when out of memory */
int64_t mc_project(const Graph *g, int nslots, const int32_t *word, const int32_t *shift,
                   const int32_t *width, int32_t *codes, uint64_t *distinct) {
    int bits = 0;
    for (int k = 0; k < nslots; k++) bits += width[k];
    if (bits <= 16) {  /* few bits: a direct table instead of hashing */
        int32_t *code_of = malloc(sizeof(int32_t) << bits);
        if (!code_of) return -1;
        memset(code_of, 0xff, sizeof(int32_t) << bits);
        uint64_t nd = 0;
        for (uint64_t i = 0; i < g->n; i++) {
            const uint64_t *s = g->states + i * W;
            uint64_t key = 0;
            int at = 0;
            for (int k = 0; k < nslots; k++) {
                key |= ((s[word[k]] >> shift[k]) & ((1ULL << width[k]) - 1)) << at;
                at += width[k];
            }
            if (code_of[key] < 0) { code_of[key] = (int32_t)nd; distinct[nd++] = key; }
            codes[i] = code_of[key];
        }
        free(code_of);
        return (int64_t)nd;
    }
    uint64_t size = 1024, nd = 0;
    uint32_t *slot = calloc(size, 4);  /* code + 1; grows with the distinct keys */
    if (!slot) return -1;
    for (uint64_t i = 0; i < g->n; i++) {
        const uint64_t *s = g->states + i * W;
        uint64_t key = 0;
        int at = 0;
        for (int k = 0; k < nslots; k++) {
            uint64_t m = width[k] == 64 ? ~0ULL : ((1ULL << width[k]) - 1);
            key |= ((s[word[k]] >> shift[k]) & m) << at;
            at += width[k];
        }
        if (2 * (nd + 1) > size) {
            free(slot);
            size *= 2;
            if (!(slot = calloc(size, 4))) return -1;
            for (uint64_t d = 0; d < nd; d++) {
                uint64_t p = mix(distinct[d]) & (size - 1);
                while (slot[p]) p = (p + 1) & (size - 1);
                slot[p] = (uint32_t)d + 1;
            }
        }
        uint64_t p = mix(key) & (size - 1);
        for (;;) {
            uint32_t v = slot[p];
            if (!v) {
                distinct[nd] = key; slot[p] = (uint32_t)++nd; codes[i] = (int32_t)nd - 1;
                break;
            }
            if (distinct[v - 1] == key) { codes[i] = (int32_t)v - 1; break; }
            p = (p + 1) & (size - 1);
        }
    }
    free(slot);
    return (int64_t)nd;
}

/* codes[i]: the rank of keys[i] among the distinct keys in order of first appearance;
 * distinct[] receives those keys; returns their number (or -1: out of memory) */
int64_t mc_codes(const uint64_t *keys, uint64_t n, int32_t *codes, uint64_t *distinct) {
    uint64_t size = 1024, nd = 0;
    uint32_t *slot = calloc(size, 4);  /* code + 1; grows with the distinct keys */
    if (!slot) return -1;
    for (uint64_t i = 0; i < n; i++) {
        if (2 * (nd + 1) > size) {
            free(slot);
            size *= 2;
            if (!(slot = calloc(size, 4))) return -1;
            for (uint64_t d = 0; d < nd; d++) {
                uint64_t p = mix(distinct[d]) & (size - 1);
                while (slot[p]) p = (p + 1) & (size - 1);
                slot[p] = (uint32_t)d + 1;
            }
        }
        uint64_t key = keys[i], p = mix(key) & (size - 1);
        for (;;) {
            uint32_t v = slot[p];
            if (!v) {
                distinct[nd] = key; slot[p] = (uint32_t)++nd; codes[i] = (int32_t)nd - 1;
                break;
            }
            if (distinct[v - 1] == key) { codes[i] = (int32_t)v - 1; break; }
            p = (p + 1) & (size - 1);
        }
    }
    free(slot);
    return (int64_t)nd;
}
