// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 io controller files, read and written with plain system calls.
 * Names are validated before any path is built, and the last component is
 * opened with O_NOFOLLOW: nothing outside root is reachable through a name.
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const cg_limit_names[CG_NR_LIMITS] = {
	[CG_RBPS] = "rbps",
	[CG_WBPS] = "wbps",
	[CG_RIOPS] = "riops",
	[CG_WIOPS] = "wiops",
};

const uint64_t cg_limit_max[CG_NR_LIMITS] = {
	[CG_RBPS] = INT64_MAX,
	[CG_WBPS] = INT64_MAX,
	[CG_RIOPS] = UINT32_MAX,
	[CG_WIOPS] = UINT32_MAX,
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool cg_name_valid(const char *name)
{
	const char *p = name, *start;
	size_t len = strnlen(name, CG_NAME_MAX + 1);

	if (len == 0 || len > CG_NAME_MAX)
		return false;
	for (;;) {
		start = p;
		while (name_char(*p))
			p++;
		if (p == start)
			return false;	/* empty component: "/x", "x//y", "x/" */
		if ((p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		if (*p == '\0')
			return true;
		if (*p != '/')
			return false;
		p++;
	}
}

static bool decimal(const char *s, size_t n)
{
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool cg_device_valid(const char *dev)
{
	const char *colon = strchr(dev, ':');

	return colon && decimal(dev, colon - dev) &&
	       decimal(colon + 1, strlen(colon + 1));
}

static int cg_path(char *out, size_t size, const char *root, const char *name,
		   const char *file)
{
	int n;

	if (!cg_name_valid(name))
		return -EINVAL;
	if (file)
		n = snprintf(out, size, "%s/%s/%s", root, name, file);
	else
		n = snprintf(out, size, "%s/%s", root, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cg_exists(const char *root, const char *name)
{
	char path[4096];
	struct stat st;
	int ret = cg_path(path, sizeof(path), root, name, NULL);

	if (ret)
		return ret;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int cg_read(const char *root, const char *name, const char *file,
	    char *buf, size_t size)
{
	char path[4096];
	size_t len = 0;
	ssize_t n;
	int fd, ret = cg_path(path, sizeof(path), root, name, file);

	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len + 1 >= size) {
			ret = -EFBIG;
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return ret;
}

int cg_parse(char *text, const struct cg_walk *w)
{
	char *line, *save_line = NULL;

	for (line = strtok_r(text, "\n", &save_line); line;
	     line = strtok_r(NULL, "\n", &save_line)) {
		char *tok, *save_tok = NULL, *dev;
		int ret;

		dev = strtok_r(line, " \t", &save_tok);
		if (!dev || !cg_device_valid(dev))
			continue;	/* not a device line */
		if (w->dev && (ret = w->dev(w->ctx, dev)))
			return ret;
		while ((tok = strtok_r(NULL, " \t", &save_tok))) {
			char *eq = strchr(tok, '=');

			if (!eq || eq == tok)
				continue;
			*eq = '\0';
			if (w->kv && (ret = w->kv(w->ctx, dev, tok, eq + 1)))
				return ret;
		}
	}
	return 0;
}

int cg_write_max(const char *root, const char *name, const char *dev,
		 const uint64_t val[CG_NR_LIMITS],
		 const bool set[CG_NR_LIMITS])
{
	char path[4096], line[256];
	int fd, len, ret = cg_path(path, sizeof(path), root, name, "io.max");
	ssize_t n;

	if (ret)
		return ret;
	if (!cg_device_valid(dev))
		return -EINVAL;
	len = snprintf(line, sizeof(line), "%s", dev);
	for (int i = 0; i < CG_NR_LIMITS; i++) {
		if (!set[i])
			continue;
		if (val[i] == CG_MAX)
			len += snprintf(line + len, sizeof(line) - len,
					" %s=max", cg_limit_names[i]);
		else
			len += snprintf(line + len, sizeof(line) - len,
					" %s=%llu", cg_limit_names[i],
					(unsigned long long)val[i]);
	}
	len += snprintf(line + len, sizeof(line) - len, "\n");
	/*
	 * O_TRUNC is harmless on cgroupfs (the kernel merges a line into the
	 * device's limits) and makes a fake tree hold the last line written.
	 */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, line, len);
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : n != len ? -EIO : 0;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}
