/* Meta expressions: a recursive-descent parser emitting a postfix program,
 * evaluated on a stack of doubles. Precedence as in Perl: unary ! and -,
 * then * /, + -, relational, equality, &&, ||. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsift/meta.h"

enum meta_op {
	OP_CONST,
	OP_RULE,
	OP_NOT,
	OP_NEG,
	OP_MUL,
	OP_DIV,
	OP_ADD,
	OP_SUB,
	OP_LT,
	OP_GT,
	OP_LE,
	OP_GE,
	OP_EQ,
	OP_NE,
	OP_AND,
	OP_OR,
};

struct meta_insn {
	enum meta_op op;
	double value; /* OP_CONST */
	int rule;     /* OP_RULE */
};

struct meta {
	struct meta_insn *code; /* owned */
	size_t ncode;
	int *deps; /* owned */
	size_t ndeps;
};

struct meta_parse {
	const char *p;
	struct meta *m;
	meta_resolve_fn *resolve;
	void *ctx;
	int nest;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct meta_parse *mp, const char *msg)
{
	if (mp->failed)
		return;
	if (*mp->p == '\0')
		snprintf(mp->err, mp->errlen, "%s at the end", msg);
	else
		snprintf(mp->err, mp->errlen, "%s at '%.20s'", msg, mp->p);
	mp->failed = 1;
}

static void emit(struct meta_parse *mp, enum meta_op op, double value, int rule)
{
	if (mp->failed)
		return;
	if (mp->m->ncode >= META_MAX_OPS) {
		fail(mp, "expression too long");
		return;
	}
	mp->m->code[mp->m->ncode++] = (struct meta_insn){.op = op, .value = value, .rule = rule};
	if (op == OP_RULE)
		mp->m->deps[mp->m->ndeps++] = rule;
}

static void skip_ws(struct meta_parse *mp)
{
	while (isspace((unsigned char)*mp->p))
		mp->p++;
}

/* Accepts op if it comes next (and is not the start of a longer one). */
static int accept(struct meta_parse *mp, const char *op)
{
	size_t n = strlen(op);

	skip_ws(mp);
	if (strncmp(mp->p, op, n) != 0)
		return 0;
	if (n == 1 && (op[0] == '<' || op[0] == '>' || op[0] == '!') && mp->p[1] == '=')
		return 0;
	mp->p += n;
	return 1;
}

static void parse_or(struct meta_parse *mp);

static void parse_primary(struct meta_parse *mp)
{
	skip_ws(mp);
	if (accept(mp, "(")) {
		if (++mp->nest > META_MAX_NEST) {
			fail(mp, "too deeply nested");
			return;
		}
		parse_or(mp);
		mp->nest--;
		if (!accept(mp, ")"))
			fail(mp, "missing ')'");
	} else if (isalpha((unsigned char)*mp->p) || *mp->p == '_') {
		const char *s = mp->p;
		while (isalnum((unsigned char)*mp->p) || *mp->p == '_')
			mp->p++;
		int idx = mp->resolve(mp->ctx, s, (size_t)(mp->p - s));
		if (idx < 0)
			emit(mp, OP_CONST, 0, 0);
		else
			emit(mp, OP_RULE, 0, idx);
	} else if (isdigit((unsigned char)*mp->p) || *mp->p == '.') {
		char *end;
		double v = strtod(mp->p, &end);
		mp->p = end;
		emit(mp, OP_CONST, v, 0);
	} else {
		fail(mp, *mp->p ? "unexpected character" : "operand missing");
	}
}

static void parse_unary(struct meta_parse *mp)
{
	if (mp->failed)
		return;
	if (accept(mp, "!")) {
		parse_unary(mp);
		emit(mp, OP_NOT, 0, 0);
	} else if (accept(mp, "-")) {
		parse_unary(mp);
		emit(mp, OP_NEG, 0, 0);
	} else {
		parse_primary(mp);
	}
}

/* One precedence level: operands from next, operators from ops. */
static void parse_level(struct meta_parse *mp, void (*next)(struct meta_parse *),
			const char *const *ops, const enum meta_op *codes, size_t nops)
{
	next(mp);
	while (!mp->failed) {
		size_t i;
		for (i = 0; i < nops; i++)
			if (accept(mp, ops[i]))
				break;
		if (i == nops)
			return;
		next(mp);
		emit(mp, codes[i], 0, 0);
	}
}

static void parse_mul(struct meta_parse *mp)
{
	static const char *const ops[] = {"*", "/"};
	static const enum meta_op codes[] = {OP_MUL, OP_DIV};
	parse_level(mp, parse_unary, ops, codes, 2);
}

static void parse_add(struct meta_parse *mp)
{
	static const char *const ops[] = {"+", "-"};
	static const enum meta_op codes[] = {OP_ADD, OP_SUB};
	parse_level(mp, parse_mul, ops, codes, 2);
}

static void parse_rel(struct meta_parse *mp)
{
	static const char *const ops[] = {"<=", ">=", "<", ">"};
	static const enum meta_op codes[] = {OP_LE, OP_GE, OP_LT, OP_GT};
	parse_level(mp, parse_add, ops, codes, 4);
}

static void parse_eq(struct meta_parse *mp)
{
	static const char *const ops[] = {"==", "!="};
	static const enum meta_op codes[] = {OP_EQ, OP_NE};
	parse_level(mp, parse_rel, ops, codes, 2);
}

static void parse_and(struct meta_parse *mp)
{
	static const char *const ops[] = {"&&"};
	static const enum meta_op codes[] = {OP_AND};
	parse_level(mp, parse_eq, ops, codes, 1);
}

static void parse_or(struct meta_parse *mp)
{
	static const char *const ops[] = {"||"};
	static const enum meta_op codes[] = {OP_OR};
	parse_level(mp, parse_and, ops, codes, 1);
}

/* Gives back what the maximum-size buffers did not use. */
static void shrink(struct meta *m)
{
	struct meta_insn *c = realloc(m->code, m->ncode * sizeof(*c));
	int *d = m->ndeps ? realloc(m->deps, m->ndeps * sizeof(*d)) : NULL;

	if (c != NULL)
		m->code = c;
	if (d != NULL)
		m->deps = d;
}

int meta_compile(const char *expr, meta_resolve_fn *resolve, void *ctx, struct meta **out,
		 char *err, size_t errlen)
{
	struct meta_parse mp = {
		.p = expr, .resolve = resolve, .ctx = ctx, .err = err, .errlen = errlen};
	struct meta *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL || (m->code = calloc(META_MAX_OPS, sizeof(*m->code))) == NULL ||
	    (m->deps = calloc(META_MAX_OPS, sizeof(*m->deps))) == NULL) {
		meta_free(&m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	mp.m = m;
	parse_or(&mp);
	skip_ws(&mp);
	if (!mp.failed && *mp.p != '\0')
		fail(&mp, "unexpected text");
	if (mp.failed || m->ncode == 0) {
		if (!mp.failed)
			snprintf(err, errlen, "empty expression");
		meta_free(&m);
		return -1;
	}
	shrink(m);
	*out = m;
	return 0;
}

void meta_free(struct meta **m)
{
	if (*m == NULL)
		return;
	free((*m)->code);
	free((*m)->deps);
	free(*m);
	*m = NULL;
}

size_t meta_deps(const struct meta *m, const int **deps)
{
	*deps = m->deps;
	return m->ndeps;
}

static double binary(enum meta_op op, double a, double b)
{
	switch (op) {
	case OP_MUL: return a * b;
	case OP_DIV: return b != 0 ? a / b : 0; /* Perl dies; SpamAssassin then scores 0 */
	case OP_ADD: return a + b;
	case OP_SUB: return a - b;
	case OP_LT: return a < b;
	case OP_GT: return a > b;
	case OP_LE: return a <= b;
	case OP_GE: return a >= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_AND: return a != 0 ? b : a;
	case OP_OR: return a != 0 ? a : b;
	default: return 0;
	}
}

double meta_eval(const struct meta *m, const double *values)
{
	double stack[META_MAX_OPS];
	size_t sp = 0;

	for (size_t i = 0; i < m->ncode; i++) {
		const struct meta_insn *in = &m->code[i];

		switch (in->op) {
		case OP_CONST: stack[sp++] = in->value; break;
		case OP_RULE: stack[sp++] = values[in->rule]; break;
		case OP_NOT: stack[sp - 1] = stack[sp - 1] == 0; break;
		case OP_NEG: stack[sp - 1] = -stack[sp - 1]; break;
		default:
			sp--;
			stack[sp - 1] = binary(in->op, stack[sp - 1], stack[sp]);
			break;
		}
	}
	return sp == 1 ? stack[0] : 0;
}
