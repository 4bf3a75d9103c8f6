/* Privilege drop: supplementary groups, then gid, then uid, then verify. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mailsift/privdrop.h"

int privdrop_resolve(const char *spec, struct privdrop *out, const char **error_r)
{
	char user[64];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;

	if (ulen == 0 || ulen >= sizeof(user)) {
		*error_r = "bad user name";
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	pw = getpwnam(user);
	if (pw == NULL) {
		*error_r = "no such user";
		return -1;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", user);
	if (colon != NULL) {
		struct group *gr = getgrnam(colon + 1);

		if (gr == NULL) {
			*error_r = "no such group";
			return -1;
		}
		out->gid = gr->gr_gid;
	}
	return 0;
}

int privdrop_apply(const struct privdrop *p, const char **error_r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (geteuid() != 0) {
		if (geteuid() == p->uid && getegid() == p->gid)
			return 0;
		*error_r = "must be started as root to change user";
		return -1;
	}
	if (setgroups(1, &p->gid) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 ||
	    setresuid(p->uid, p->uid, p->uid) != 0) {
		*error_r = "cannot change user or group";
		return -1;
	}
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != p->uid ||
	    eu != p->uid || su != p->uid || rg != p->gid || eg != p->gid || sg != p->gid) {
		*error_r = "privileges were not dropped completely";
		return -1;
	}
	if (p->uid != 0 && setuid(0) == 0) {
		*error_r = "root privileges could be regained";
		return -1;
	}
	return 0;
}
