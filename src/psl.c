/* The Public Suffix List: three case-insensitive sets (rules, wildcard
 * parents, exceptions), each rule also stored with its U-labels as A-labels
 * so that both spellings of an IDN find it. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mailsift/addr.h"
#include "mailsift/psl.h"
#include "mailsift/strset.h"

#define PSL_LINE_MAX 1024
#define PSL_NAME_MAX 1024 /* U-labels take more bytes than DNS_NAME_MAX */

struct psl {
	int refs; /* guarded by cache_lock: the cache's and the snapshots' */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *path;		   /* owned */
	struct strset *rules;	   /* owned: "co.uk" */
	struct strset *wildcards;  /* owned: "ck" for "*.ck" */
	struct strset *exceptions; /* owned: "www.ck" for "!www.ck" */
	size_t count;
};

/* Each configuration snapshot holds the list; reloads (and the tests that
 * load hundreds of snapshots) share one copy while the file is unchanged. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct psl *cache; /* one reference */

static void destroy(struct psl **psl)
{
	if (*psl == NULL)
		return;
	free((*psl)->path);
	strset_free(&(*psl)->rules);
	strset_free(&(*psl)->wildcards);
	strset_free(&(*psl)->exceptions);
	free(*psl);
	*psl = NULL;
}

void psl_free(struct psl **psl)
{
	int last;

	if (*psl == NULL)
		return;
	pthread_mutex_lock(&cache_lock);
	last = --(*psl)->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (last)
		destroy(psl);
	*psl = NULL;
}

size_t psl_rules(const struct psl *psl)
{
	return psl->count;
}

static int has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static int add_both(struct strset *set, const char *name)
{
	char ascii[PSL_NAME_MAX];

	if (strset_add(set, name, strlen(name)) < 0)
		return -1;
	if (has_8bit(name) && addr_domain_ascii(name, ascii, sizeof(ascii)) == 0)
		return strset_add(set, ascii, strlen(ascii));
	return 0;
}

/* One line of the list: the rule is the first word; comments and blank
 * lines are skipped. */
static int add_line(struct psl *psl, char *line)
{
	char *rule = line + strspn(line, " \t");

	rule[strcspn(rule, " \t\r\n")] = '\0';
	if (rule[0] == '\0' || (rule[0] == '/' && rule[1] == '/'))
		return 0;
	psl->count++;
	if (rule[0] == '!')
		return add_both(psl->exceptions, rule + 1);
	if (rule[0] == '*' && rule[1] == '.')
		return add_both(psl->wildcards, rule + 2);
	return add_both(psl->rules, rule);
}

static struct psl *read_list(FILE *fp, const char **error_r)
{
	char line[PSL_LINE_MAX];
	struct psl *psl = calloc(1, sizeof(*psl));
	int rc = 0;

	if (psl == NULL || (psl->rules = strset_new()) == NULL ||
	    (psl->wildcards = strset_new()) == NULL || (psl->exceptions = strset_new()) == NULL) {
		destroy(&psl);
		*error_r = "out of memory";
		return NULL;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL)
		rc = add_line(psl, line);
	if (rc < 0 || psl->count == 0) {
		*error_r = rc < 0 ? "out of memory" : "no rule in the public suffix list";
		destroy(&psl);
	}
	return psl;
}

static int same_file(const struct psl *psl, const char *path, const struct stat *st)
{
	return psl != NULL && strcmp(psl->path, path) == 0 && psl->dev == st->st_dev &&
	       psl->ino == st->st_ino && psl->size == st->st_size &&
	       psl->mtime.tv_sec == st->st_mtim.tv_sec && psl->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

struct psl *psl_load(const char *path, const char **error_r)
{
	struct psl *psl = NULL;
	struct stat st;
	FILE *fp = fopen(path, "r");

	if (fp == NULL || fstat(fileno(fp), &st) != 0) {
		if (fp != NULL)
			fclose(fp);
		*error_r = "cannot read the public suffix list (Debian package publicsuffix)";
		return NULL;
	}
	pthread_mutex_lock(&cache_lock);
	if (same_file(cache, path, &st)) {
		psl = cache;
		psl->refs++;
	}
	pthread_mutex_unlock(&cache_lock);
	if (psl == NULL && (psl = read_list(fp, error_r)) != NULL) {
		psl->path = strdup(path);
		psl->dev = st.st_dev;
		psl->ino = st.st_ino;
		psl->size = st.st_size;
		psl->mtime = st.st_mtim;
		psl->refs = 1;
		if (psl->path != NULL) {
			struct psl *old;

			pthread_mutex_lock(&cache_lock);
			old = cache;
			cache = psl;
			psl->refs++;
			pthread_mutex_unlock(&cache_lock);
			psl_free(&old);
		}
	}
	fclose(fp);
	return psl;
}

/* Number of labels in the public suffix of name[0..len): the longest
 * matching rule, an exception beating the wildcard it carves out of, and
 * "*" (the last label) when nothing matches. */
static size_t suffix_labels(const struct psl *psl, const char *name, size_t len)
{
	size_t labels = 1;
	const char *starts[PSL_NAME_MAX / 2 + 1];
	size_t n = 0;

	starts[n++] = name;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			starts[n++] = name + i + 1;
	for (size_t i = 0; i < n; i++) {
		const char *s = starts[i];
		size_t slen = len - (size_t)(s - name);

		if (strset_has(psl->exceptions, s, slen))
			return n - i - 1;
		if (strset_has(psl->rules, s, slen) ||
		    (i + 1 < n && strset_has(psl->wildcards, starts[i + 1],
					     len - (size_t)(starts[i + 1] - name))))
			return n - i;
	}
	return labels;
}

int psl_org_domain(const struct psl *psl, const char *domain, char *out, size_t cap)
{
	size_t len = strlen(domain), labels = 1, keep;
	const char *start;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= PSL_NAME_MAX || domain[0] == '.' || strstr(domain, "..") != NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		labels += domain[i] == '.';
	keep = suffix_labels(psl, domain, len) + 1;
	if (keep > labels)
		return -1;
	start = domain;
	for (size_t i = len, dots = 0; i > 0; i--)
		if (domain[i - 1] == '.' && ++dots == keep) {
			start = domain + i;
			break;
		}
	if ((size_t)(domain + len - start) >= cap)
		return -1;
	for (size_t i = 0; start + i < domain + len; i++)
		out[i] = (char)(start[i] >= 'A' && start[i] <= 'Z' ? start[i] + 32 : start[i]);
	out[domain + len - start] = '\0';
	return 0;
}
