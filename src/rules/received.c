/* One Received field read into a relay: its client's address, HELO and
 * rDNS names, the receiving host, ident, envelope sender, id and the
 * authentication method.
 *
 * MTAs write Received in dozens of shapes and put the client's HELO name,
 * its reverse DNS name and its address in different places. The shapes are
 * tried in order, most specific first, as patterns whose named groups say
 * which part is which; the first that matches decides. Rules written for
 * SpamAssassin test the result, so it follows SpamAssassin's reading of each
 * shape, including which name counts as HELO and which as rDNS. */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailsift/log.h"
#include "mailsift/received.h"

#define RELAY_MATCH_LIMIT 200000 /* per pattern and field: the lines are short */

/* An IPv4 address, or an IPv6 one (8 groups, or compressed with "::"). */
#define OCT "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define IPV4 "\\b(?<!:)" OCT "(?:\\." OCT "){3}\\b"
#define IPV6                                                                                       \
	"(?:IPv6:|(?<![a-fA-F0-9:]))(?=[0-9a-fA-F:.]*::|(?:[0-9a-fA-F]{1,4}:){6})"                 \
	"(?:[0-9a-fA-F]{0,4}:){2,7}(?:" OCT "(?:\\." OCT "){3}|[0-9a-fA-F]{1,4})?(?![a-fA-F0-9:])"
#define IP "(?:" IPV4 "|" IPV6 ")"
#define LOCALHOST                                                                                  \
	"(?:localhost(?:\\.localdomain)?|\\b(?<!:)127\\.0\\.0\\.1\\b"                              \
	"|(?:IPv6:)?::(?:ffff:127\\.0\\.0\\.1|1)(?![a-fA-F0-9:.]))"
#define HELOCH "[-A-Za-z0-9.^+_&:=?!@%*$\\\\/]"
#define HELO_EHLO "(?:HELO|EHLO)"

enum act {
	ACT_PARSE, /* the named groups say what the relay is */
	ACT_SKIP,  /* a hand-over that carries nothing to test */
	ACT_FETCH, /* a POP3/IMAP fetch */
	ACT_QMAIL, /* qmail's shapes: the sub-patterns fill what they can, then it is parsed */
};

enum flag {
	F_HELO_RDNS = 1,    /* no HELO group: the HELO name is the rDNS name */
	F_RDNS_IDENT = 2,   /* an "IDENT:user@" or "user@" prefix of rdns is the ident */
	F_NO_ID = 4,	    /* the id found earlier is not this hop's */
	F_NO_BY = 8,	    /* a synthetic hop from an originating-IP field */
	F_SOFTDNSERR = 16,  /* "softdnserr" in the rDNS place is no name */
	F_HELO_CLEAR = 32,  /* no HELO group: no HELO name */
	F_UNVERIFIED = 64,  /* "unverified" in the rDNS place is no name */
	F_EXIM_LOOSE = 128, /* parsed only if both ip and by were found */
};

struct pat {
	const char *src;
	pcre2_code *code; /* owned once compiled; NULL if it failed */
};

struct shape {
	struct pat guard;  /* must match first, if given */
	struct pat unless; /* must not match, if given */
	struct pat re;
	enum act act;
	unsigned flags;
};

#define SHAPE(g, u, r, a, f)                                                                       \
	{                                                                                          \
		{g, NULL}, {u, NULL}, {r, NULL}, a, f                                              \
	}
#define PARSE(r) SHAPE(NULL, NULL, r, ACT_PARSE, 0)
#define PARSEF(r, f) SHAPE(NULL, NULL, r, ACT_PARSE, f)
#define SKIP(r) SHAPE(NULL, NULL, r, ACT_SKIP, 0)
#define END SHAPE(NULL, NULL, NULL, ACT_SKIP, 0)

/* The MTA families a line can name; only the first whose guard matches is
 * tried, then the general shapes. */
static struct shape fam_smtpsvc[] = {
	PARSE("^(?<helo>\\S*) \\(\\[(?<ip>" IP ")\\][^)]{0,40}\\) by (?<by>\\S+) with Microsoft "
	      "SMTPSVC"),
	SKIP("^mail pickup service by \\S+ with Microsoft SMTPSVC$"),
	END,
};
static struct shape fam_exchange[] = {
	PARSEF("^(?<helo>\\S+) \\(\\[?(?<ip>" IP ")(?:%[A-Za-z0-9._~-]*)?\\]?\\) by (?<by>\\S+) ",
	       F_NO_ID),
	END,
};
static struct shape fam_xmail[] = {
	PARSE("^(?<helo>\\S+) \\((?<ip>\\[?" IP "\\]?)(?::\\d+)\\) by (?<by>\\S+)(?: \\(\\S+\\))? "
	      "with \\[XMail(?=(?:.*? id <(?<id>\\S+)>)?)(?=(?:.*? from <(?<envfrom>\\S+)>)?)"),
	END,
};
static struct shape fam_ecelerity[] = {
	PARSE("^\\(\\[(?<ip>" IP "):\\d+\\] helo=(?<helo>\\S+)\\) by (?<by>\\S+) "),
	PARSE("^\\S+ \\(\\[(?<ip>" IP "):\\d+\\]\\) by (?<by>\\S+) "),
	END,
};
static struct shape fam_exim[] = {
	SKIP("\\bwith local(?:-\\S+)? "),
	PARSE("^\\[(?<ip>" IP ")\\] \\((?<sub>.*?)\\) by (?<by>\\S+) "),
	PARSEF("^(?<rdns>\\S+) \\(\\[(?<ip>" IP ")\\](?<sub>.*?)\\) by (?<by>\\S+) ", F_HELO_RDNS),
	PARSEF("^(?<rdns>\\S+) \\[(?<ip>" IP ")\\](?::\\d+)? by (?<by>\\S+) ", F_HELO_RDNS),
	/* odd Exim shapes: whatever parts can be found */
	PARSEF("^(?<rdns>\\S+) (?=(?:.*? \\((?<helo>\\S+)\\) )?)(?=(?:.*? \\[(?<ip>" IP
	       ")(?:\\.\\d+)?\\] )?)(?=(?:.*?by (?<by>\\S+) )?)",
	       F_EXIM_LOOSE),
	END,
};
static struct shape fam_postfix[] = {
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+)\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	END,
};
static struct shape fam_scalix[] = {
	PARSE("^(?<helo>\\S+) \\( ?(?<ip>" IP ")\\) by (?<by>\\S+)"),
	END,
};
static struct shape fam_domino[] = {
	PARSE("^(?<helo>\\S+) \\(\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) \\(Lotus"),
	END,
};

static struct family {
	struct pat guard;
	struct shape *shapes;
} families[] = {
	{{" SMTPSVC", NULL}, fam_smtpsvc},
	{{" with (?:Microsoft SMTP Server|mapi id) (?:\\([^)]+\\) )?\\d+\\.\\d+\\.\\d+\\.\\d+(?:$| "
	  ")",
	  NULL},
	 fam_exchange},
	{{"\\[XMail ", NULL}, fam_xmail},
	{{"\\(ecelerity\\b", NULL}, fam_ecelerity},
	{{"Exim", NULL}, fam_exim},
	{{" \\(Postfix\\) with", NULL}, fam_postfix},
	{{"\\(Scalix SMTP Relay", NULL}, fam_scalix},
	{{" \\(Lotus Domino ", NULL}, fam_domino},
};

/* qmail: rDNS first, HELO only when it differed, the address in parentheses. */
static struct shape qmail_shapes[] = {
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO " (?<helo>[^ ()]*)\\) \\((?<ident>\\S*)@\\[?(?<ip>" IP
	      ")\\]?\\)(?: \\(envelope-sender <\\S+>\\))? by (?<by>\\S+)"),
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO " (?<helo>[^ ()]*)\\) \\(\\[?(?<ip>" IP
	      ")\\]?\\)(?: \\(envelope-sender <\\S+>\\))? by (?<by>\\S+)"),
	PARSEF("^(?<rdns>\\S+) \\((?<ident>\\S*)@\\[?(?<ip>" IP
	       ")\\]?\\)(?: \\(envelope-sender <\\S+>\\))? by (?<by>\\S+)",
	       F_HELO_RDNS),
	PARSEF("^(?<rdns>\\S+) \\(\\[?(?<ip>" IP ")\\]?\\)(?: \\(envelope-sender <\\S+>\\))? by "
	       "(?<by>\\S+)",
	       F_HELO_RDNS),
	END,
};

/* After the family: every other shape, in order. */
static struct shape general[] = {
	SHAPE("\\bwith HTTP\\b", NULL, "^(?<ip>" IP ") \\(\\[" IP "\\]\\) by (?<by>\\S+)",
	      ACT_PARSE, 0),
	/* sendmail, unless qmail-ldap (which looks like it) */
	SHAPE(NULL, " by \\S+ \\(qmail-\\S+\\) with ",
	      "^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP ")\\].*\\) by (?<by>\\S+) \\(",
	      ACT_PARSE, F_RDNS_IDENT),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP
	      ")\\]\\) by (?<by>\\S+) with \\S+ \\("),
	PARSE("^(?<rdns>\\S+) \\(\\[(?<ip>" IP ")\\] helo=(?<helo>\\S+)\\) by (?<by>\\S+) with "),
	PARSE("^(?<helo>\\S+) \\(<unknown\\S*>\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+\\.\\S+)\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\((?<ident>\\S*)@\\[(?<ip>" IP ")\\].*\\) by (?<by>\\S+) \\("),
	PARSE("^(?:(?<ip>" IP ") )?.*?by (?<by>\\S+\\.hotmail\\.msn\\.com) "),
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO " (?<helo>\\S*)\\) \\((?<ip>" IP
	      ")\\) by (?<by>\\S+) \\(qpsmtpd/\\S+\\) with (?:ESMTP|SMTP)"),
	PARSE("^(?<rdns>\\S+) \\(LHLO (?<helo>\\S*)\\) \\((?<ip>" IP
	      ")\\) by (?<by>\\S+) with LMTP"),
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO " (?<helo>\\S*)\\) \\[(?<ip>" IP
	      ")\\] by (?<by>\\S+) \\([^)]+\\) with (?:ESMTP|SMTP)"),
	PARSE("^(?<helo>\\S+) \\(\\[(?<ip>" IP
	      ")\\]\\) by (?<by>\\S+) via smtpd \\(for \\S+\\) with SMTP\\("),
	SHAPE(NULL, NULL,
	      "^\\S+(?: \\(" HELO_EHLO " \\S*\\))? \\((?:\\S+@)?\\[?" IP
	      "\\]?\\)(?: \\(envelope-sender <\\S+>\\))? by \\S+(?: \\(.+\\))* with (?:.* "
	      ")?(?:SMTP|QMQP)(?! id )",
	      ACT_QMAIL, 0),
	SHAPE(" via HTTP$", NULL, "^\\[(?<ip>" IP ")\\] by (?<by>\\S+) via HTTP$", ACT_PARSE, 0),
	PARSE("^\\S+ \\( \\[(?<ip>" IP ")\\]\\).*? by (?<by>\\S+) "),
	PARSE("^\\((?<helo>\\S+) \\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^\\[(?<ip>" IP ")\\] by (?<by>\\S+) "),
	PARSE("^\\(\\[?(?<ip>" IP ")\\]?\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\[(?<ip>" IP ")\\] by (?<by>\\S+) \\[" IP "\\] with "),
	PARSE("^(?<helo>\\S+) \\[\\((?<ip>" IP ")\\)\\] by (?<by>\\S+) \\(" IP "\\) "),
	PARSE("^(?<helo>\\S+) \\(\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) \\("),
	PARSEF("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP ")\\]\\).*? by (?<by>\\S+)\\b",
	       F_SOFTDNSERR),
	PARSE("^(?<helo>\\S+) \\(\\[(?<ip>" IP ")(?:[.:]\\d+)?\\]\\).*? by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP
	      ")\\]\\)(?: \\(authenticated bits=\\d+\\))? by (?<by>\\S+) \\("),
	SHAPE(NULL, NULL, "with (?:POP3|IMAP)", ACT_FETCH, 0),
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO
	      " (?<helo>[^)]*)\\) \\((?:(?<ident>\\S*)@)?\\[?(?<ip>" IP
	      ")\\]?\\).* by (?<by>\\S+) "),
	PARSEF("^(?<rdns>\\S+) \\((?:(?<ident>\\S*)@)?\\[?(?<ip>" IP ")\\]?\\).* by (?<by>\\S+) ",
	       F_HELO_RDNS),
	SHAPE(" with http for ", NULL, "^\\[(?<ip>" IP ")\\] by (?<by>\\S+) with http for ",
	      ACT_PARSE, 0),
	SHAPE(" via smap ", NULL, "^(?<rdns>\\S+)\\((?<ip>" IP ")\\) by (?<by>\\S+) via smap ",
	      ACT_PARSE, 0),
	PARSE("^(?<rdns>\\S+)\\((?<ip>" IP "), " HELO_EHLO
	      " (?<helo>\\S*)\\) by (?<by>\\S+) via smap "),
	PARSE("^\\[(?<ip>" IP ")\\] by (?<by>\\S+) \\((?:Post|ArGoSoft|MailGate )"),
	PARSE("^(?<ip>" IP ") by (?<by>\\S+) \\((?:SMTPL|InterScan)\\b"),
	SKIP("^\\S+ by \\S+ with BSMTP"),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) with "),
	PARSE("^(?<rdns>\\S+) \\(" HELO_EHLO " (?<helo>\\S*)\\) \\((?:(?<ident>\\S+)@)?(?<ip>" IP
	      ").*?\\) by (?<by>\\S+) with "),
	PARSE("^\\[(?<ip>" IP ")\\] \\((?:account \\S+ )?" HELO_EHLO
	      " (?<helo>\\S*)\\) by (?<by>\\S+) \\("),
	SHAPE(" \\(CommuniGate Pro", NULL,
	      "^(?<rdns>\\S+) \\(\\[(?<ip>" IP ")\\] verified\\) by (?<by>\\S+) \\(", ACT_PARSE,
	      F_HELO_RDNS),
	PARSE("^\\(\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) with "),
	PARSE("^(?<helo>[^\\d]\\S+) \\((?<ip>" IP ")\\) by (?<by>\\S+) "),
	SKIP("^\\S+ \\(\\S+\\) by \\S+ \\(Content Technologies "),
	PARSE("^(?<helo>\\S+) \\(\\[(?<ip>" IP ")\\] \\[\\S+\\]\\) by (?<by>\\S+) with "),
	PARSE("^(?<ip>" IP ") by (?<by>\\S+) with "),
	PARSE("^(?<helo>\\S+) \\((?<rdns>\\S+)\\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^\\[(?<ip>" IP ")\\]\\S+ \\(" HELO_EHLO " (?<helo>\\S*)\\) by (?<by>\\S+) "),
	PARSE("^(?<ip>" IP ") \\(" HELO_EHLO " (?<helo>\\S*)\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\[(?<ip>" IP ")\\] by (?<by>\\S+) "),
	PARSE("^(?<rdns>\\S+)\\((?<ip>" IP ")\\) by (?<by>\\S+) "),
	PARSE("^(?<helo>\\S+) \\(unverified \\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) "),
	PARSE("^(?<ip>" IP ") \\([A-Za-z][^)]+\\) by (?<by>\\S+) with "),
	PARSE("^\\[(?<ip>" IP ")\\] \\((?<sub>[^)]+)\\) by (?<by>\\S+) "),
	PARSE("^(?<rdns>\\S+) \\((?:\\S+@)?(?<ip>" IP ")\\) by (?<by>\\S+) with "),
	PARSEF("^(?<rdns>\\S+)\\((?<ip>" IP ")\\)(?:, claiming to be \"(?<helo>\\S+)\")? via \\S+ "
	       "by (?<by>\\S+),",
	       F_HELO_CLEAR),
	PARSE("^(?<helo>\\S+) \\(\\S+@(?<ip>" IP
	      ") with login\\) by (?<by>\\S+\\.yahoo\\.com) with "
	      "SMTP"),
	PARSEF("^X-Originating-IP: (?<ip>" IP ")$", F_NO_BY),
	/* hand-overs without an address to test */
	SKIP("^\\S+ \\([^\\s@]+@" LOCALHOST "\\) by \\S+ \\("),
	SKIP("^\\S+ \\S+ by \\S+ with local-e?smtp "),
	SKIP("^127\\.0\\.0\\.1 \\(AVG SMTP \\S+ \\[\\S+\\]\\)"),
	SKIP("^\\S+@\\S+ by \\S+ "),
	SKIP("^Unknown/Local \\("),
	SKIP("^" LOCALHOST " \\((?:\\S+@)?" LOCALHOST "[)\\[]"),
	SKIP("^\\S+ \\((?:\\S+@)?" LOCALHOST "\\) "),
	SKIP("^\\S+ \\(\\S+@\\S+ \\[" LOCALHOST "\\]\\) "),
	SKIP("^\\(AUTH: \\S+\\) by \\S+ with "),
	SKIP("^localhost \\(localhost \\[\\[UNIX: localhost\\]\\]\\) by "),
	SKIP("^\\S+\\.amazon\\.com by \\S+\\.amazon\\.com with ESMTP \\(peer crosscheck: "),
	SKIP("^[^.]+ by \\S+ with Novell_GroupWise"),
	SKIP("^no\\.name\\.available by \\S+ via smtpd \\(for "),
	SKIP("^\\S+ by \\S+ \\(.{0,100}\\) with qmail-scanner"),
	SKIP("^\\S+ by \\S+ with local"),
	SKIP("^\\S+ \\(\\[unix socket\\]\\) by \\S+ \\(Cyrus v[0-9]*?\\.[0-9]*?\\.[0-9]*?\\) with "
	     "LMTPA"),
	SKIP("^\\S+ by \\S+ (?:with|via|for|\\()"),
	SKIP("^\\S+ (?:(?:with|via|for) \\S+|\\(unverified\\)) by\\b"),
	SKIP("^\\S+ \\(unknown\\) by \\S+ \\(SG\\) with \\b"),
	SKIP("^\\S+ \\(\\S+ \\[local\\]\\) by \\S+ \\(OpenSMTPD\\) with \\b"),
	SKIP("\\(LSMTP for"),
	SKIP("^\\(\\[" LOCALHOST "\\]\\) with MailEnable "),
	SKIP("^facebook\\.com \\([^)]+\\) by facebook\\.com with Thrift id \\S+$"),
	SKIP("^\\S+ named \\S+ by gmailapi\\.google\\.com with HTTPREST$"),
	SKIP("^\\S+ id \\S+$"),
	SKIP("^\\[<.*? \\(Jetsend"),
	END,
};

/* "FROM … BY … ID" (simta and others in upper case). */
static struct shape upper_shapes[] = {
	PARSEF("^(?<helo>\\S+) \\((?<rdns>\\S+) \\[(?<ip>" IP ")\\]\\) BY (?<by>\\S+) "
	       "(?:\\([^)]+\\) WITH SMTP )?ID <?(?<id>\\S+?)>?(?: FOR <[^>]+>)?$",
	       F_UNVERIFIED),
	END,
};

/* "(from …)". */
static struct shape paren_shapes[] = {
	PARSE("^(?<helo>\\S*) \\[(?<ip>" IP ")\\]\\) by (?<by>\\S+) \\(NAVGW .*?\\) with "),
	SKIP("^\\S+@localhost\\) by \\S+ "),
	SKIP("^[^\\s@]+@[^)]+\\) by \\S+\\(jqueuemail\\) id [^\\s;]+"),
	END,
};

/* Authenticated hand-overs: the group "auth" or the fixed text is the
 * method recorded. */
static struct auth_shape {
	struct pat re;
	const char *fixed;
} auth_shapes[] = {
	{{"^(?=.* by )(?i:.*? with (?<auth>(?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$))",
	  NULL},
	 NULL},
	{{"^(?=.* by mx\\.google\\.com with ESMTPS id "
	  "[a-z0-9]{1,4}sm[0-9]{2,9}[a-z]{3}\\.[0-9]{1,3}"
	  "\\.[0-9]{4}\\.(?:[0-6][0-9]\\.){4}[0-6][0-9]).*?\\(version=(?<gm1>[^ ]+) "
	  "cipher=(?<gm2>[^)]+)\\)",
	  NULL},
	 "GMail"},
	{{"^from .*?(?:\\]\\)|\\)\\]) \\(AUTH: (?<auth>LOGIN|PLAIN|DIGEST-MD5|CRAM-MD5) "
	  "\\S+(?:, .*?)?\\) by ",
	  NULL},
	 NULL},
	{{"^(?=.*authenticated)from .*?(?:\\](?: \\([^)]*\\))?\\)|\\)\\]) "
	  ".*?\\(.*?authenticated.*?\\).*? by",
	  NULL},
	 "Sendmail"},
	{{"from \\S* \\(" HELO_EHLO " \\S*\\) \\[" IP "\\] by (?<gx2>mail\\.gmx\\.(?:net|com)) "
	  "\\([^)]+\\) with (?<gx1>ESMTP|SMTP)",
	  NULL},
	 "GMX"},
	{{"\\) by .+ \\(\\d{1,2}\\.\\d\\.\\d{3}(?:\\.\\d{1,3})?\\) \\(authenticated as .+\\) id ",
	  NULL},
	 "CriticalPath"},
	{{"\\) \\(Authenticated sender: \\S+\\) by \\S+ \\((?<pf>[^)]+)\\) with ", NULL},
	 "Postfix"},
	{{"^(?=.* \\(account )(?=.*CommuniGate Pro (?:HTTP|SMTP|XIMSS|IMAP))", NULL},
	 "Communigate"},
	{{" with Microsoft Exchange Server HTTP-DAV\\b", NULL}, "HTTP-DAV"},
	{{"(?i)^(?=.* by ).*? \\(via (?<auth>HTTP.?)\\)(?: |;|$)", NULL}, NULL},
};

/* Lines and parts each shape reads around the shapes. */
static struct pat p_from = {"^\\(?from ", NULL};
static struct pat p_local_for = {"\\bwith local for\\b", NULL};
static struct pat p_name_by = {"^from (?!\\[[\\d.]+\\] )\\S+ by [^\\s;]+ ?;", NULL};
static struct pat p_date = {"[\\s;]+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\\d+ "
			    "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d+ "
			    "\\d+:\\d+(?::\\d+)? \\S+$",
			    NULL};
static struct pat p_id = {" id <?(?<v>[^\\s<>;]{3,})", NULL};
static struct pat p_helo_eq = {"\\bhelo=(?<v>" HELOCH "+)(?:[^-A-Za-z0-9.^+_&:=?!@%*$\\\\/]|$)",
			       NULL};
static struct pat p_helo_cmd = {
	"\\b" HELO_EHLO " (?<v>" HELOCH "+)(?:[^-A-Za-z0-9.^+_&:=?!@%*$\\\\/]|$)", NULL};
static struct pat p_by = {" by (?<v>\\S+)(?:[^-A-Za-z0-9;.]|$)", NULL};
static struct pat p_envfrom = {"(?i)(?:return-path:? |envelope-(?:sender|from)[ =])(?<v>\\S+)\\b",
			       NULL};
static struct pat p_squirrel = {" \\((?:SquirrelMail|NaSMail) authenticated user ", NULL};
static struct pat p_squirrel_ip = {"(?<ip>" IP ")\\b(?![.-]).{10,80}by (?<by>\\S+) with HTTP",
				   NULL};
static struct pat p_aol = {"^(?=.*aol\\.com)(?=.*with HTTP \\(WebMailUI\\))(?<ip>" IP
			   ") by (?<by>\\S+) \\(" IP "\\) with HTTP \\(WebMailUI\\)",
			   NULL};
static struct pat p_first_word = {"^(?<v>\\S+)[^-A-Za-z0-9.]", NULL};
static struct pat p_any_ip = {"\\[(?<v>" IP ")\\]", NULL};
static struct pat p_ip_anywhere = {"(?<v>" IP ")", NULL};
static struct pat p_sub_helo = {"helo=(?<v>\\S+)", NULL};
static struct pat p_sub_ident = {"ident=(?<v>\\S*)", NULL};
static struct pat p_ident_prefix = {"^(?:IDENT:)?(?<v>[^@]*)@", NULL};

static pthread_once_t compile_once = PTHREAD_ONCE_INIT;
static pcre2_match_context *mctx;
static int compile_failed;

static void compile_pat(struct pat *p)
{
	int err;
	PCRE2_SIZE off;

	if (p->src == NULL)
		return;
	p->code = pcre2_compile((PCRE2_SPTR)p->src, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (p->code == NULL) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(err, msg, sizeof(msg));
		log_error("relays: pattern failed at offset %zu: %s: %s", (size_t)off,
			  (const char *)msg, p->src);
		compile_failed = 1;
		return;
	}
	(void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
}

static void compile_shapes(struct shape *s)
{
	for (; s->re.src != NULL; s++) {
		compile_pat(&s->guard);
		compile_pat(&s->unless);
		compile_pat(&s->re);
	}
}

static void compile_all(void)
{
	struct pat *singles[] = {&p_from,	  &p_local_for,	 &p_name_by,	 &p_date,
				 &p_id,		  &p_helo_eq,	 &p_helo_cmd,	 &p_by,
				 &p_envfrom,	  &p_squirrel,	 &p_squirrel_ip, &p_aol,
				 &p_first_word,	  &p_any_ip,	 &p_sub_helo,	 &p_sub_ident,
				 &p_ident_prefix, &p_ip_anywhere};

	mctx = pcre2_match_context_create(NULL);
	if (mctx != NULL) {
		pcre2_set_match_limit(mctx, RELAY_MATCH_LIMIT);
		pcre2_set_depth_limit(mctx, RELAY_MATCH_LIMIT);
	}
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		compile_pat(singles[i]);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		compile_pat(&families[i].guard);
		compile_shapes(families[i].shapes);
	}
	compile_shapes(qmail_shapes);
	compile_shapes(general);
	compile_shapes(upper_shapes);
	compile_shapes(paren_shapes);
	for (size_t i = 0; i < sizeof(auth_shapes) / sizeof(auth_shapes[0]); i++)
		compile_pat(&auth_shapes[i].re);
}

/* A match of p in s; md holds the groups. A pattern that failed to compile,
 * or a match stopped by the limit, is no match. */
static int match(const struct pat *p, const char *s, pcre2_match_data *md)
{
	if (p->code == NULL)
		return 0;
	return pcre2_match(p->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, mctx) > 0;
}

/* Copies the named group into buf (cut to size); 1 if it took part. */
static int group(const struct pat *p, pcre2_match_data *md, const char *s, const char *name,
		 char *buf, size_t size)
{
	int n = pcre2_substring_number_from_name(p->code, (PCRE2_SPTR)name);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	size_t len;

	if (n <= 0 || (uint32_t)n >= pcre2_get_ovector_count(md) || ov[2 * n] == PCRE2_UNSET)
		return 0;
	len = ov[2 * n + 1] - ov[2 * n];
	if (len >= size)
		len = size - 1;
	memcpy(buf, s + ov[2 * n], len);
	buf[len] = '\0';
	return 1;
}

/* The named group "v" of the first match of p in s, if any. */
static int grab(const struct pat *p, const char *s, pcre2_match_data *md, char *buf, size_t size)
{
	return match(p, s, md) && group(p, md, s, "v", buf, size);
}

/* Whitespace runs made one space, the ends trimmed, trailing ";" dropped. */
static void normalize(const char *v, char *out, size_t size)
{
	size_t n = 0;
	int space = 0;

	for (; *v != '\0' && n + 1 < size; v++) {
		if (isspace((unsigned char)*v)) {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			out[n++] = ' ';
		space = 0;
		out[n++] = *v;
	}
	out[n] = '\0';
	while (n > 0 && out[n - 1] == ';') {
		out[--n] = '\0';
		if (n > 0 && isspace((unsigned char)out[n - 1]))
			out[--n] = '\0';
	}
}

/* ")by " written without its space. */
static void space_before_by(char *line, size_t size)
{
	char *p = strstr(line, ")by ");
	size_t len = strlen(line);

	if (p == NULL || len + 2 > size)
		return;
	memmove(p + 2, p + 1, len - (size_t)(p + 1 - line) + 1);
	p[1] = ' ';
}

static void set_if(const struct pat *p, pcre2_match_data *md, const char *s, const char *name,
		   char *field)
{
	group(p, md, s, name, field, RELAY_MAX_FIELD);
}

/* The parts a matched shape names, then what its flags say. */
static void apply(const struct shape *sh, pcre2_match_data *md, const char *s, struct relay *r)
{
	char sub[RELAY_MAX_LINE];
	int have_helo;

	set_if(&sh->re, md, s, "ip", r->ip);
	set_if(&sh->re, md, s, "rdns", r->rdns);
	set_if(&sh->re, md, s, "by", r->by);
	set_if(&sh->re, md, s, "ident", r->ident);
	set_if(&sh->re, md, s, "id", r->id);
	set_if(&sh->re, md, s, "envfrom", r->envfrom);
	have_helo = group(&sh->re, md, s, "helo", r->helo, sizeof(r->helo));
	if (!have_helo && (sh->flags & F_HELO_RDNS))
		memcpy(r->helo, r->rdns, sizeof(r->helo));
	if (!have_helo && (sh->flags & F_HELO_CLEAR))
		r->helo[0] = '\0';
	if (group(&sh->re, md, s, "sub", sub, sizeof(sub))) {
		pcre2_match_data *m2 = pcre2_match_data_create(4, NULL);
		if (m2 != NULL) {
			grab(&p_sub_helo, sub, m2, r->helo, sizeof(r->helo));
			grab(&p_sub_ident, sub, m2, r->ident, sizeof(r->ident));
			pcre2_match_data_free(m2);
		}
	}
	if (sh->flags & F_NO_ID)
		r->id[0] = '\0';
	if (sh->flags & F_NO_BY)
		r->by[0] = '\0';
	if ((sh->flags & F_SOFTDNSERR) && strcmp(r->rdns, "softdnserr") == 0)
		r->rdns[0] = '\0';
	if ((sh->flags & F_UNVERIFIED) && strcmp(r->rdns, "unverified") == 0)
		r->rdns[0] = '\0';
	if (sh->flags & F_RDNS_IDENT) {
		char ident[RELAY_MAX_FIELD];
		size_t plen;
		pcre2_match_data *m2 = pcre2_match_data_create(4, NULL);
		if (m2 != NULL && grab(&p_ident_prefix, r->rdns, m2, ident, sizeof(ident))) {
			plen = pcre2_get_ovector_pointer(m2)[1];
			memmove(r->rdns, r->rdns + plen, strlen(r->rdns + plen) + 1);
			memcpy(r->ident, ident, sizeof(r->ident));
		}
		pcre2_match_data_free(m2);
	}
}

/* Tries shapes in order: the first that matches decides. Returns the act
 * of that shape, or -1 when none matched. */
static int try_shapes(const struct shape *sh, const char *s, pcre2_match_data *md, struct relay *r)
{
	for (; sh->re.src != NULL; sh++) {
		if (sh->guard.src != NULL && !match(&sh->guard, s, md))
			continue;
		if (sh->unless.src != NULL && match(&sh->unless, s, md))
			continue;
		if (!match(&sh->re, s, md))
			continue;
		if (sh->act == ACT_QMAIL) {
			try_shapes(qmail_shapes, s, md, r);
			return ACT_PARSE;
		}
		if (sh->act == ACT_PARSE)
			apply(sh, md, s, r);
		if ((sh->flags & F_EXIM_LOOSE) && (r->ip[0] == '\0' || r->by[0] == '\0'))
			return -1;
		return (int)sh->act;
	}
	return -1;
}

static void auth_method(const char *line, pcre2_match_data *md, struct relay *r)
{
	for (size_t i = 0; i < sizeof(auth_shapes) / sizeof(auth_shapes[0]); i++) {
		const struct auth_shape *a = &auth_shapes[i];
		char g1[RELAY_MAX_FIELD] = "", g2[RELAY_MAX_FIELD] = "";

		if (!match(&a->re, line, md))
			continue;
		if (a->fixed == NULL) {
			set_if(&a->re, md, line, "auth", r->auth);
		} else if (strcmp(a->fixed, "GMail") == 0) {
			group(&a->re, md, line, "gm1", g1, sizeof(g1));
			group(&a->re, md, line, "gm2", g2, sizeof(g2));
			snprintf(r->auth, sizeof(r->auth), "GMail - transport=%s cipher=%s", g1,
				 g2);
		} else if (strcmp(a->fixed, "GMX") == 0) {
			group(&a->re, md, line, "gx1", g1, sizeof(g1));
			group(&a->re, md, line, "gx2", g2, sizeof(g2));
			snprintf(r->auth, sizeof(r->auth), "GMX (%s / %s)", g1, g2);
		} else if (strcmp(a->fixed, "Postfix") == 0) {
			group(&a->re, md, line, "pf", g1, sizeof(g1));
			if (strcmp(g1, "Postfix") == 0)
				snprintf(r->auth, sizeof(r->auth), "Postfix");
			else
				snprintf(r->auth, sizeof(r->auth), "Postfix (%s)", g1);
		} else {
			snprintf(r->auth, sizeof(r->auth), "%s", a->fixed);
		}
		return;
	}
}

/* Lines starting "from ": webmail special cases, the family, then the
 * general shapes; with none, the first word may still be the HELO name. */
static int from_line(const char *s, pcre2_match_data *md, struct relay *r)
{
	int act;

	grab(&p_envfrom, s, md, r->envfrom, sizeof(r->envfrom));
	if (match(&p_squirrel, s, md) && match(&p_squirrel_ip, s, md)) {
		set_if(&p_squirrel_ip, md, s, "ip", r->ip);
		set_if(&p_squirrel_ip, md, s, "by", r->by);
		return ACT_PARSE;
	}
	if (match(&p_aol, s, md)) {
		set_if(&p_aol, md, s, "ip", r->ip);
		set_if(&p_aol, md, s, "by", r->by);
		return ACT_PARSE;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (!match(&families[i].guard, s, md))
			continue;
		if ((act = try_shapes(families[i].shapes, s, md, r)) >= 0)
			return act;
		break;
	}
	if ((act = try_shapes(general, s, md, r)) >= 0)
		return act;
	if (r->helo[0] == '\0')
		grab(&p_first_word, s, md, r->helo, sizeof(r->helo));
	return -1;
}

static void strip_chars(char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || strchr("#[]()<>|", *s) != NULL)
			*s = '!';
}

static void trim_envfrom(char *s)
{
	size_t skip = 0, n;

	while (isspace((unsigned char)s[skip]))
		skip++;
	while (s[skip] == '<')
		skip++;
	memmove(s, s + skip, strlen(s + skip) + 1);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (n > 0 && s[n - 1] == '>')
		s[--n] = '\0';
}

static int ip_private(const char *ip)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return 0;
	static const unsigned char loop[16] = {[15] = 1};
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (memcmp(a, loop, 16) == 0)
		return 1;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
		return 1;
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 unique local (SpamAssassin leaves it out) */
		return 1;
	if (memcmp(a, mapped, 12) == 0) {
		char v4[INET_ADDRSTRLEN];
		return inet_ntop(AF_INET, a + 12, v4, sizeof(v4)) != NULL && ip_private(v4);
	}
	return 0;
}

static int dotted_quad(const char *s)
{
	int dots = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.' && isdigit((unsigned char)s[1]))
			dots++;
		else if (!isdigit((unsigned char)*s))
			return 0;
	}
	return dots == 3;
}

/* The parts cleaned up as every shape needs them. */
static void finish(struct relay *r)
{
	size_t n = strlen(r->rdns);
	char *pct;

	while (n > 0 && r->rdns[n - 1] == '.')
		r->rdns[--n] = '\0';
	if (strcasecmp(r->rdns, "unknown") == 0 || r->rdns[0] == '[')
		r->rdns[0] = '\0';
	if (strncasecmp(r->ip, "ipv6:", 5) == 0)
		memmove(r->ip, r->ip + 5, strlen(r->ip + 5) + 1);
	if (r->ip[0] == '[')
		memmove(r->ip, r->ip + 1, strlen(r->ip + 1) + 1);
	if ((n = strlen(r->ip)) > 0 && r->ip[n - 1] == ']')
		r->ip[n - 1] = '\0';
	if ((pct = strchr(r->ip, '%')) != NULL &&
	    strspn(pct + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			    "qrstuvwxyz0123456789._~-") == strlen(pct + 1))
		*pct = '\0';
	/* an IPv4-mapped IPv6 address ("::ffff:192.0.2.1") is read as the IPv4 one */
	const char *ff = r->ip;
	while ((ff = strchr(ff, ':')) != NULL && strncasecmp(ff, ":ffff:", 6) != 0)
		ff++;
	if (ff != NULL && strspn(r->ip, "0:") == (size_t)(ff - r->ip) + 1 &&
	    strchr(r->ip, ':') < ff && dotted_quad(ff + 6))
		memmove(r->ip, ff + 6, strlen(ff + 6) + 1);
	if ((n = strlen(r->by)) > 0 && r->by[n - 1] == ';')
		r->by[n - 1] = '\0';
	trim_envfrom(r->envfrom);
	strip_chars(r->ip);
	strip_chars(r->rdns);
	strip_chars(r->helo);
	strip_chars(r->by);
	strip_chars(r->ident);
	strip_chars(r->envfrom);
	r->ip_private = ip_private(r->ip);
}

enum relay_parse relay_parse(const char *value, struct relay *r)
{
	char line[RELAY_MAX_LINE];
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int act = -1;

	memset(r, 0, sizeof(*r));
	pthread_once(&compile_once, compile_all);
	normalize(value, line, sizeof(line));
	if ((md = pcre2_match_data_create(32, NULL)) == NULL)
		return RELAY_UNPARSEABLE;
	ov = pcre2_get_ovector_pointer(md);
	if (strncasecmp(line, "from ", 5) != 0 && strncasecmp(line, "(from ", 6) != 0)
		act = ACT_SKIP;
	else if (match(&p_local_for, line, md) || match(&p_name_by, line, md))
		act = ACT_SKIP;
	if (act == ACT_SKIP) {
		pcre2_match_data_free(md);
		return RELAY_SKIPPED;
	}
	if (match(&p_date, line, md))
		line[ov[0]] = '\0';
	space_before_by(line, sizeof(line));
	grab(&p_id, line, md, r->id, sizeof(r->id));
	if (!grab(&p_helo_eq, line, md, r->helo, sizeof(r->helo)))
		grab(&p_helo_cmd, line, md, r->helo, sizeof(r->helo));
	grab(&p_by, line, md, r->by, sizeof(r->by));
	auth_method(line, md, r);
	if (strncmp(line, "from ", 5) == 0)
		act = from_line(line + 5, md, r);
	else if (strncmp(line, "FROM ", 5) == 0)
		act = try_shapes(upper_shapes, line + 5, md, r);
	else if (strncmp(line, "(from ", 6) == 0)
		act = try_shapes(paren_shapes, line + 6, md, r);
	if (act == ACT_SKIP || act == ACT_FETCH) {
		pcre2_match_data_free(md);
		return act == ACT_SKIP ? RELAY_SKIPPED : RELAY_FETCHER;
	}
	if (act < 0 && r->ip[0] == '\0')
		grab(&p_any_ip, line, md, r->ip, sizeof(r->ip));
	if (act < 0 && (r->ip[0] == '\0' || r->by[0] == '\0')) {
		pcre2_match_data_free(md);
		return RELAY_UNPARSEABLE;
	}
	finish(r);
	pcre2_match_data_free(md);
	return RELAY_PARSED;
}

void relay_format(const struct relay *r, int internal, int msa, struct strbuf *out)
{
	sb_printf(
		out,
		"[ ip=%s rdns=%s helo=%s by=%s ident=%s envfrom=%s intl=%d id=%s auth=%s msa=%d ]",
		r->ip, r->rdns, r->helo, r->by, r->ident, r->envfrom, internal, r->id, r->auth,
		msa);
}

int relay_first_ip(const char *value, char *out, size_t size)
{
	pcre2_match_data *md;
	int found;

	pthread_once(&compile_once, compile_all);
	if ((md = pcre2_match_data_create(4, NULL)) == NULL)
		return 0;
	found = match(&p_ip_anywhere, value, md) &&
		group(&p_ip_anywhere, md, value, "v", out, size);
	pcre2_match_data_free(md);
	return found;
}
