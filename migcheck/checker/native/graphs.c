/* Graph kernels the property decisions need, over a graph in CSR form (indptr: n + 1
 * offsets, indices: the targets).  Model-independent; built once and cached like the
 * explorers' code.  Masks are one byte per node. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the reversed graph: out_indptr / out_indices list, per node, the nodes with an edge to it
 * (in increasing order of those nodes); kinds (a small label per edge, may be NULL) follow
 * their edges into out_kinds */
void mc_transpose(const int64_t *indptr, const int32_t *indices, int64_t n,
                  int64_t *out_indptr, int32_t *out_indices, const uint8_t *kinds,
                  uint8_t *out_kinds) {
    memset(out_indptr, 0, sizeof(int64_t) * (size_t)(n + 1));
    int64_t m = indptr[n];
    for (int64_t e = 0; e < m; e++) out_indptr[indices[e] + 1]++;
    for (int64_t v = 0; v < n; v++) out_indptr[v + 1] += out_indptr[v];
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(fill, out_indptr, sizeof(int64_t) * (size_t)n);
    for (int64_t v = 0; v < n; v++)
        for (int64_t e = indptr[v]; e < indptr[v + 1]; e++) {
            int64_t at = fill[indices[e]]++;
            out_indices[at] = (int32_t)v;
            if (kinds) out_kinds[at] = kinds[e];
        }
    free(fill);
}

/* out[v] = 1 iff v is a target or some target is reachable from v in the graph whose
 * REVERSE is given (a BFS from all the targets along the reversed edges); with kinds and
 * allowed (may be NULL), only along the edges whose kind is allowed */
int mc_reach(const int64_t *indptr, const int32_t *indices, int64_t n, const uint8_t *targets,
             uint8_t *out, const uint8_t *kinds, const uint8_t *allowed) {
    int32_t *queue = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!queue) return -1;
    int64_t head = 0, tail = 0;
    for (int64_t v = 0; v < n; v++) {
        out[v] = targets[v] ? 1 : 0;
        if (out[v]) queue[tail++] = (int32_t)v;
    }
    while (head < tail) {
        int32_t v = queue[head++];
        for (int64_t e = indptr[v]; e < indptr[v + 1]; e++) {
            int32_t u = indices[e];
            if (!out[u] && (!kinds || allowed[kinds[e]])) { out[u] = 1; queue[tail++] = u; }
        }
    }
    free(queue);
    return 0;
}

/* strongly connected components of the subgraph of the `inside` nodes (edges between inside
 * nodes only; an outside node is a component of its own): iterative Tarjan.  Returns the
 * number of components (labels 0..count-1), or -1 when out of memory. */
int64_t mc_scc(const int64_t *indptr, const int32_t *indices, int64_t n, const uint8_t *inside,
               int32_t *labels) {
    int32_t *index = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int32_t *low = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int32_t *stack = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int32_t *call = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int64_t *edge = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    uint8_t *on = calloc((size_t)(n ? n : 1), 1);
    if (!index || !low || !stack || !call || !edge || !on) {
        free(index); free(low); free(stack); free(call); free(edge); free(on);
        return -1;
    }
    for (int64_t v = 0; v < n; v++) index[v] = -1;
    int32_t counter = 0;
    int64_t comps = 0, sp = 0;
    for (int64_t root = 0; root < n; root++) {
        if (index[root] >= 0) continue;
        if (!inside[root]) { index[root] = counter++; labels[root] = (int32_t)comps++; continue; }
        int64_t depth = 0;
        call[0] = (int32_t)root; edge[0] = indptr[root];
        index[root] = low[root] = counter++; stack[sp++] = (int32_t)root; on[root] = 1;
        while (depth >= 0) {
            int32_t v = call[depth];
            if (edge[depth] < indptr[v + 1]) {
                int32_t w = indices[edge[depth]++];
                if (!inside[w]) continue;
                if (index[w] < 0) {
                    index[w] = low[w] = counter++; stack[sp++] = w; on[w] = 1;
                    depth++; call[depth] = w; edge[depth] = indptr[w];
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                int32_t w;
                do { w = stack[--sp]; on[w] = 0; labels[w] = (int32_t)comps; } while (w != v);
                comps++;
            }
            depth--;
            if (depth >= 0) {
                int32_t parent = call[depth];
                if (low[v] < low[parent]) low[parent] = low[v];
            }
        }
    }
    free(index); free(low); free(stack); free(call); free(edge); free(on);
    return comps;
}

/* weak fairness of each strongly connected component of the `inside` subgraph (labels from
 * mc_scc): a behaviour may stay in it for ever iff every fair actor (a bit of fair_mask) is
 * disabled at some node of it or takes a step inside it.  enabled: per node, the fair actors
 * enabled there; actor: per edge, the bit of its actor.  out[c] = 1 for a fair component. */
int mc_fair_components(const int64_t *indptr, const int32_t *indices, const uint8_t *actor,
                       int64_t n, const uint8_t *inside, const int32_t *labels, int64_t ncomp,
                       const int64_t *enabled, int64_t fair_mask, uint8_t *out) {
    int64_t *always = malloc(sizeof(int64_t) * (size_t)(ncomp ? ncomp : 1));
    int64_t *moved = calloc((size_t)(ncomp ? ncomp : 1), sizeof(int64_t));
    uint8_t *has = calloc((size_t)(ncomp ? ncomp : 1), 1);
    if (!always || !moved || !has) { free(always); free(moved); free(has); return -1; }
    for (int64_t c = 0; c < ncomp; c++) always[c] = fair_mask;
    for (int64_t v = 0; v < n; v++) {
        if (!inside[v]) continue;
        int32_t c = labels[v];
        has[c] = 1;
        always[c] &= enabled[v];
        for (int64_t e = indptr[v]; e < indptr[v + 1]; e++) {
            int32_t w = indices[e];
            if (inside[w] && labels[w] == c) moved[c] |= 1LL << actor[e];
        }
    }
    for (int64_t c = 0; c < ncomp; c++)
        out[c] = has[c] && ((always[c] & ~moved[c] & fair_mask) == 0);
    free(always); free(moved); free(has);
    return 0;
}

/* codes[i]: the rank of values[i] among the distinct values in order of first appearance;
 * distinct[] (room for n) receives them; returns their number, or -1 when out of memory */
int64_t mc_unique(const int64_t *values, int64_t n, int32_t *codes, int64_t *distinct) {
    uint64_t size = 1024, nd = 0;
    uint32_t *slot = calloc(size, 4);
    if (!slot) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (2 * (nd + 1) > size) {
            free(slot);
            size *= 2;
            if (!(slot = calloc(size, 4))) return -1;
            for (uint64_t d = 0; d < nd; d++) {
                uint64_t p = ((uint64_t)distinct[d] * 0x9e3779b97f4a7c15ULL >> 20) & (size - 1);
                while (slot[p]) p = (p + 1) & (size - 1);
                slot[p] = (uint32_t)d + 1;
            }
        }
        uint64_t p = ((uint64_t)values[i] * 0x9e3779b97f4a7c15ULL >> 20) & (size - 1);
        for (;;) {
            uint32_t v = slot[p];
            if (!v) {
                distinct[nd] = values[i]; slot[p] = (uint32_t)++nd;
                codes[i] = (int32_t)nd - 1;
                break;
            }
            if (distinct[v - 1] == values[i]) { codes[i] = (int32_t)v - 1; break; }
            p = (p + 1) & (size - 1);
        }
    }
    free(slot);
    return (int64_t)nd;
}

