/* Names and parsing for stages, verdicts, actions and replies. */
#include "config.h"

#include <string.h>

#include "mailsift/verdict.h"

static const char *const stage_names[STAGE_COUNT] = {
	"connect", "helo", "mail", "rcpt", "data", "header", "eoh", "body", "eom",
};

static const char *const verdict_names[] = {
	"continue", "accept", "quarantine", "discard", "tempfail", "reject",
};

static const char *const action_names[] = {
	"ignore", "score", "log", "quarantine", "discard", "tempfail", "reject",
};

const char *stage_name(enum stage stage)
{
	return (unsigned)stage < STAGE_COUNT ? stage_names[stage] : "?";
}

const char *verdict_name(enum verdict verdict)
{
	return (unsigned)verdict <= VERDICT_REJECT ? verdict_names[verdict] : "?";
}

const char *action_name(enum action action)
{
	return (unsigned)action <= ACTION_REJECT ? action_names[action] : "?";
}

int action_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(name, action_names[i]) == 0)
			return (int)i;
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* class "." 1*3digit "." 1*3digit, RFC 3463. */
static int xcode_valid(const char *s, size_t len)
{
	size_t i = 1;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;

		i++;
		while (i < len && is_digit(s[i]) && digits < 3) {
			i++;
			digits++;
		}
		if (digits == 0 || (part == 0 && (i >= len || s[i] != '.')))
			return 0;
	}
	return i == len;
}

int reply_parse(const char *s, struct reply *out, const char **error_r)
{
	const char *sp, *text;
	size_t xlen;

	memset(out, 0, sizeof(*out));
	if (!is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || s[3] != ' ' ||
	    (s[0] != '4' && s[0] != '5')) {
		*error_r = "reply must start with a 4xx or 5xx code, e.g. '550 5.7.1 text'";
		return -1;
	}
	memcpy(out->code, s, 3);
	s += 4;
	sp = strchr(s, ' ');
	xlen = sp != NULL ? (size_t)(sp - s) : strlen(s);
	if (!xcode_valid(s, xlen) || xlen >= sizeof(out->xcode)) {
		*error_r = "reply needs an RFC 3463 enhanced status after the code, e.g. 5.7.1";
		return -1;
	}
	if (s[0] != out->code[0]) {
		*error_r = "reply code and enhanced status disagree in class (4xx goes with 4.x.x, "
			   "5xx with 5.x.x)";
		return -1;
	}
	memcpy(out->xcode, s, xlen);
	text = sp != NULL ? sp + 1 : "";
	if (strlen(text) >= sizeof(out->text)) {
		*error_r = "reply text too long";
		return -1;
	}
	for (const char *p = text; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			*error_r = "reply text must be printable ASCII";
			return -1;
		}
	}
	memcpy(out->text, text, strlen(text) + 1);
	return 0;
}

void reply_soften(const struct reply *in, struct reply *out)
{
	*out = *in;
	if (out->code[0] == '5') {
		out->code[0] = '4';
		out->xcode[0] = '4'; /* as Postfix's soft_bounce does */
	}
}
