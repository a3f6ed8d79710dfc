// SPDX-License-Identifier: GPL-2.0
/*
 * Mailboxes as objects: the registry of names, what each uid holds, the
 * memory of a mailbox, and the operations on names (create, open,
 * destroy, list) and on a mailbox's attributes (set).
 *
 * The registry is an xarray keyed by box id, in creation order, under
 * mbx_lock; names are unique per user namespace. A registered box holds a
 * reference of the registry; every session holds one; a lookup that must
 * drop mbx_lock before using a box takes one.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>

#include "mbx_internal.h"

/* The registry and the accounting; see the locking order. */
DEFINE_MUTEX(mbx_lock);
DEFINE_XARRAY(mbx_boxes);		/* mbx_lock for changes */

/* What one uid holds, for user_max_bytes and user_max_boxes. */
struct mbx_user {
	struct list_head node;
	kuid_t uid;
	u64 bytes;
	u32 boxes;
};

static LIST_HEAD(mbx_users);		/* mbx_lock */
static unsigned int mbx_nboxes;		/* mbx_lock: in memory, named or not */
static u64 mbx_next_box_id;		/* mbx_lock */

static bool mbx_name_valid(const u8 *name)
{
	size_t i;

	for (i = 0; i < MBX_NAME_MAX; i++) {
		u8 c = name[i];

		if (!c)
			break;
		/* ASCII only: the kernel's isalnum() knows Latin-1. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' &&
		    c != ':' && c != '-')
			return false;
	}
	if (i == 0 || i == MBX_NAME_MAX)
		return false;
	/* NUL padded: nothing may follow the terminator. */
	for (; i < MBX_NAME_MAX; i++)
		if (name[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Access model                                                         */

void mbx_box_get_attrs(struct mbx_box *box, struct mbx_attrs *a)
{
	spin_lock(&box->attr_lock);
	*a = box->attrs;
	spin_unlock(&box->attr_lock);
}

static bool mbx_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *gi = cred->group_info;
	int i;

	if (gid_eq(cred->egid, gid))
		return true;
	for (i = 0; gi && i < gi->ngroups; i++)
		if (gid_eq(gi->gid[i], gid))
			return true;
	return false;
}

/*
 * Whether @cred holds @cap over @ns, without auditing: the rule of the
 * capability module (a capability in @ns or in an ancestor namespace, or
 * ownership of a child of @cred's namespace on the way up). Used only to
 * decide what a listing shows; an open asks the LSM-aware ns_capable().
 */
static bool mbx_cred_capable_noaudit(const struct cred *cred,
				     struct user_namespace *ns, int cap)
{
	for (;;) {
		if (ns == cred->user_ns)
			return cap_raised(cred->cap_effective, cap);
		if (ns->level <= cred->user_ns->level)
			return false;
		if (ns->parent == cred->user_ns &&
		    uid_eq(ns->owner, cred->euid))
			return true;
		ns = ns->parent;
	}
}

/*
 * SysV-style check of @want (MBX_ACCESS_*) against the box's mode for
 * @cred. @audit: the check is an open, made with the current credentials,
 * and a capability override is audited; otherwise it only decides what a
 * listing shows.
 */
bool mbx_cred_may(const struct cred *cred, struct mbx_box *box, u32 want,
		  bool audit)
{
	struct mbx_attrs a;
	u32 granted;

	mbx_box_get_attrs(box, &a);
	if (uid_eq(cred->euid, a.uid))
		granted = a.mode >> 6;
	else if (mbx_cred_in_group(cred, a.gid))
		granted = a.mode >> 3;
	else
		granted = a.mode;
	/* r is 4, w is 2 in the mode; MBX_ACCESS_READ 1, WRITE 2. */
	granted = ((granted & 4) ? MBX_ACCESS_READ : 0) |
		  ((granted & 2) ? MBX_ACCESS_WRITE : 0);
	if (!(want & ~granted))
		return true;
	if (audit)
		return ns_capable(box->user_ns, CAP_IPC_OWNER);
	return mbx_cred_capable_noaudit(cred, box->user_ns, CAP_IPC_OWNER);
}

/* Destroy and set: the owner, or CAP_SYS_ADMIN, as for a file. */
static bool mbx_is_owner(struct mbx_box *box)
{
	struct mbx_attrs a;

	mbx_box_get_attrs(box, &a);
	return uid_eq(current_euid(), a.uid) ||
	       ns_capable(box->user_ns, CAP_SYS_ADMIN);
}

/* ------------------------------------------------------------------ */
/* Accounting                                                           */

/*
 * Reserve @bytes and a box for @uid against the limits, before anything is
 * allocated, so that a refused create costs nothing.
 */
static int mbx_user_charge(kuid_t uid, u64 bytes)
{
	struct mbx_user *u;

	lockdep_assert_held(&mbx_lock);
	if (mbx_nboxes >= READ_ONCE(mbx_max_boxes))
		return -ENOSPC;
	list_for_each_entry(u, &mbx_users, node)
		if (uid_eq(u->uid, uid))
			goto found;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	u->uid = uid;
	list_add(&u->node, &mbx_users);
found:
	if (u->boxes >= READ_ONCE(mbx_user_max_boxes) ||
	    u->bytes + bytes > READ_ONCE(mbx_user_max_bytes)) {
		if (!u->boxes) {
			list_del(&u->node);
			kfree(u);
		}
		return -ENOSPC;
	}
	u->bytes += bytes;
	u->boxes++;
	mbx_nboxes++;
	return 0;
}

static void mbx_user_uncharge(kuid_t uid, u64 bytes)
{
	struct mbx_user *u;

	lockdep_assert_held(&mbx_lock);
	mbx_nboxes--;
	list_for_each_entry(u, &mbx_users, node) {
		if (!uid_eq(u->uid, uid))
			continue;
		WARN_ON_ONCE(u->bytes < bytes || !u->boxes);
		u->bytes -= bytes;
		if (!--u->boxes) {
			list_del(&u->node);
			kfree(u);
		}
		return;
	}
	WARN_ON_ONCE(1);
}

/* Bytes a box of @nslots slots of @slot_size costs: planes and headers. */
static u64 mbx_box_cost(u32 nslots, u32 slot_size)
{
	return 2 * (u64)PAGE_ALIGN((u64)nslots * slot_size) +
	       (u64)nslots * sizeof(struct mbx_slot);
}

/* ------------------------------------------------------------------ */
/* Memory of a mailbox                                                  */

static void mbx_box_free(struct mbx_box *box)
{
	unsigned int i;

	if (box->vaddr)
		vunmap(box->vaddr);
	if (box->pages) {
		for (i = 0; i < box->npages; i++)
			if (box->pages[i])
				__free_page(box->pages[i]);
		kvfree(box->pages);
	}
	kvfree(box->slots);
	if (box->user_ns)
		put_user_ns(box->user_ns);
	kfree(box);
}

static void mbx_box_release(struct kref *ref)
{
	struct mbx_box *box = container_of(ref, struct mbx_box, ref);

	/* Nothing can queue it any more: no session is left. */
	cancel_delayed_work_sync(&box->reclaim_work);
	mutex_lock(&mbx_lock);
	mbx_user_uncharge(box->charged_uid, box->charged_bytes);
	mutex_unlock(&mbx_lock);
	mbx_box_free(box);
	atomic_dec(&mbx_live_boxes);
}

void mbx_box_put(struct mbx_box *box)
{
	kref_put(&box->ref, mbx_box_release);
}

/* Allocate a box with all its memory; nothing is published yet. */
static struct mbx_box *mbx_box_alloc(const struct mbx_create_args *args)
{
	struct mbx_box *box;
	unsigned int i;

	box = kzalloc(sizeof(*box), GFP_KERNEL_ACCOUNT);
	if (!box)
		return NULL;
	kref_init(&box->ref);
	memcpy(box->name, args->name, MBX_NAME_MAX);
	box->user_ns = get_user_ns(current_user_ns());
	spin_lock_init(&box->attr_lock);
	box->attrs.uid = current_euid();
	box->attrs.gid = current_egid();
	box->attrs.mode = args->mode;
	box->attrs.reclaim_ns = args->reclaim_ns;
	box->charged_uid = box->attrs.uid;
	box->charged_bytes = mbx_box_cost(args->nslots, args->slot_size);
	box->nslots = args->nslots;
	box->slot_size = args->slot_size;
	box->plane_size = PAGE_ALIGN((u64)args->nslots * args->slot_size);
	box->npages = 2 * (box->plane_size >> PAGE_SHIFT);
	spin_lock_init(&box->qlock);
	INIT_LIST_HEAD(&box->free);
	INIT_LIST_HEAD(&box->pending);
	init_waitqueue_head(&box->call_wq);
	init_waitqueue_head(&box->free_wq);
	init_waitqueue_head(&box->poll_wq);
	INIT_DELAYED_WORK(&box->reclaim_work, mbx_reclaim_work);
	box->next_id = 0;

	box->pages = kvcalloc(box->npages, sizeof(*box->pages), MBX_GFP_USER);
	if (!box->pages)
		goto fail;
	for (i = 0; i < box->npages; i++) {
		box->pages[i] = alloc_page(MBX_GFP_USER | __GFP_ZERO);
		if (!box->pages[i])
			goto fail;
		cond_resched();
	}
	box->vaddr = vmap(box->pages, box->npages, VM_MAP, PAGE_KERNEL);
	if (!box->vaddr)
		goto fail;
	box->slots = kvcalloc(box->nslots, sizeof(*box->slots), MBX_GFP_USER);
	if (!box->slots)
		goto fail;
	for (i = 0; i < box->nslots; i++) {
		struct mbx_slot *s = &box->slots[i];

		spin_lock_init(&s->lock);
		init_waitqueue_head(&s->wq);
		s->index = i;
		s->state = MBX_STATE_FREE;
		list_add_tail(&s->qnode, &box->free);
	}
	return box;
fail:
	mbx_box_free(box);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The registry                                                         */

static struct mbx_box *mbx_box_find(const u8 *name)
{
	struct user_namespace *ns = current_user_ns();
	struct mbx_box *box;
	unsigned long id;

	lockdep_assert_held(&mbx_lock);
	xa_for_each(&mbx_boxes, id, box)
		if (box->user_ns == ns && !memcmp(box->name, name, MBX_NAME_MAX))
			return box;
	return NULL;
}

/*
 * The first registered box with an id of at least *@id that @cred may
 * read, referenced, with *@id set to its id; NULL when there is none.
 */
struct mbx_box *mbx_box_next_visible(const struct cred *cred, u64 *id)
{
	unsigned long index = *id;
	struct mbx_box *box;

	mutex_lock(&mbx_lock);
	xa_for_each_start(&mbx_boxes, index, box, index) {
		if (box->user_ns == cred->user_ns &&
		    mbx_cred_may(cred, box, MBX_ACCESS_READ, false)) {
			kref_get(&box->ref);
			*id = index;
			mutex_unlock(&mbx_lock);
			return box;
		}
	}
	mutex_unlock(&mbx_lock);
	return NULL;
}

int mbx_ioc_create(struct mbx_ucmd *ucmd)
{
	struct mbx_create_args *args = ucmd->cmd;
	struct mbx_box *box;
	kuid_t uid = current_euid();
	u64 cost;
	int fd;

	if (!mbx_name_valid(args->name) || (args->mode & ~0666))
		return -EINVAL;
	if (!args->nslots || !args->slot_size ||
	    args->slot_size % MBX_SLOT_ALIGN)
		return -EINVAL;
	if (args->nslots > MBX_SLOTS_LIMIT ||
	    args->nslots > READ_ONCE(mbx_max_slots) ||
	    args->slot_size > READ_ONCE(mbx_max_slot_size))
		return -E2BIG;
	if (2 * (u64)PAGE_ALIGN((u64)args->nslots * args->slot_size) >
	    READ_ONCE(mbx_max_box_bytes))
		return -E2BIG;
	cost = mbx_box_cost(args->nslots, args->slot_size);

	/* Refuse before allocating: a name taken, a limit reached. */
	mutex_lock(&mbx_lock);
	fd = mbx_box_find(args->name) ? -EEXIST : mbx_user_charge(uid, cost);
	mutex_unlock(&mbx_lock);
	if (fd)
		return fd;

	box = mbx_box_alloc(args);
	if (!box) {
		fd = -ENOMEM;
		goto uncharge;
	}

	mutex_lock(&mbx_lock);
	if (mbx_box_find(args->name)) {
		/* Created by someone else while we allocated. */
		mutex_unlock(&mbx_lock);
		mbx_box_free(box);
		fd = -EEXIST;
		goto uncharge;
	}
	box->id = ++mbx_next_box_id;
	fd = xa_err(xa_store(&mbx_boxes, box->id, box, GFP_KERNEL_ACCOUNT));
	if (fd) {
		mutex_unlock(&mbx_lock);
		mbx_box_free(box);
		goto uncharge;
	}
	/* The session's reference; the registry's is the initial one. */
	kref_get(&box->ref);
	atomic_inc(&mbx_live_boxes);
	fd = mbx_session_open(box, MBX_ACCESS_READ | MBX_ACCESS_WRITE,
			      args->flags & MBX_CREATE_CLOEXEC);
	if (fd < 0) {
		/* Never seen by anyone: both references go, and the charge. */
		xa_erase(&mbx_boxes, box->id);
		mutex_unlock(&mbx_lock);
		kref_put(&box->ref, mbx_box_release);
		mbx_box_put(box);
		return fd;
	}
	mutex_unlock(&mbx_lock);
	return fd;

uncharge:
	mutex_lock(&mbx_lock);
	mbx_user_uncharge(uid, cost);
	mutex_unlock(&mbx_lock);
	return fd;
}

int mbx_ioc_open(struct mbx_ucmd *ucmd)
{
	struct mbx_open_args *args = ucmd->cmd;
	u32 known = MBX_ACCESS_READ | MBX_ACCESS_WRITE;
	struct mbx_box *box;
	int fd;

	/* Writers read payloads: write access alone means nothing. */
	if (!(args->access & MBX_ACCESS_READ) || (args->access & ~known))
		return -EINVAL;
	if (!mbx_name_valid(args->name))
		return -EINVAL;
	mutex_lock(&mbx_lock);
	box = mbx_box_find(args->name);
	if (box)
		kref_get(&box->ref);
	mutex_unlock(&mbx_lock);
	if (!box)
		return -ENOENT;
	/* The one check of the mode: the fd carries what it grants. */
	if (!mbx_cred_may(current_cred(), box, args->access, true)) {
		mbx_box_put(box);
		return -EACCES;
	}
	fd = mbx_session_open(box, args->access,
			      args->flags & MBX_OPEN_CLOEXEC);
	if (fd < 0)
		mbx_box_put(box);
	return fd;
}

int mbx_ioc_destroy(struct mbx_ucmd *ucmd)
{
	struct mbx_destroy_args *args = ucmd->cmd;
	struct mbx_box *box;
	int ret = 0;

	if (!mbx_name_valid(args->name))
		return -EINVAL;
	mutex_lock(&mbx_lock);
	box = mbx_box_find(args->name);
	if (!box)
		ret = -ENOENT;
	else if (!mbx_is_owner(box))
		ret = -EPERM;
	else
		xa_erase(&mbx_boxes, box->id);
	mutex_unlock(&mbx_lock);
	/* The registry's reference; mbx_box_release takes mbx_lock. */
	if (!ret)
		mbx_box_put(box);
	return ret;
}

static void mbx_fill_entry(struct mbx_box_entry *e, struct mbx_box *box,
			   struct user_namespace *ns)
{
	struct mbx_attrs a;

	mbx_box_get_attrs(box, &a);
	memset(e, 0, sizeof(*e));
	memcpy(e->name, box->name, MBX_NAME_MAX);
	e->nslots = box->nslots;
	e->slot_size = box->slot_size;
	e->uid = from_kuid_munged(ns, a.uid);
	e->gid = from_kgid_munged(ns, a.gid);
	e->mode = a.mode;
	e->box_id = box->id;
	spin_lock(&box->qlock);
	e->pending = box->npending;
	spin_unlock(&box->qlock);
}

/*
 * MBX_IOC_BOX_LIST: one mailbox at a time, looked up by id under mbx_lock
 * and copied out without it, so nothing is allocated for the request and
 * the registry is never held across user memory.
 */
int mbx_ioc_list(struct mbx_ucmd *ucmd)
{
	struct mbx_list_args *args = ucmd->cmd;
	const struct cred *cred = current_cred();
	const u32 esize = sizeof(struct mbx_box_entry);
	struct mbx_box_entry e;
	struct mbx_box *box;
	void __user *dst;
	u32 n = 0, total = 0;
	u64 id = 0;

	if (args->count && (args->entry_size < esize ||
			    args->entry_size > PAGE_SIZE))
		return -EINVAL;
	dst = u64_to_user_ptr(args->entries);
	while ((box = mbx_box_next_visible(cred, &id))) {
		total++;
		id++;
		if (n < args->count) {
			mbx_fill_entry(&e, box, cred->user_ns);
			mbx_box_put(box);
			if (copy_to_user(dst, &e, esize) ||
			    (args->entry_size > esize &&
			     clear_user(dst + esize, args->entry_size - esize)))
				return -EFAULT;
			dst += args->entry_size;
			n++;
		} else {
			mbx_box_put(box);
		}
		cond_resched();
	}
	args->out_count = n;
	args->out_total = total;
	return 0;
}

int mbx_ioc_set(struct mbx_ucmd *ucmd)
{
	struct mbx_set_args *args = ucmd->cmd;
	struct mbx_box *box = ucmd->sess->box;
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;

	if ((args->flags & MBX_SET_MODE) && (args->mode & ~0666))
		return -EINVAL;
	if (args->flags & MBX_SET_UID) {
		uid = make_kuid(current_user_ns(), args->uid);
		if (!uid_valid(uid))
			return -EINVAL;
	}
	if (args->flags & MBX_SET_GID) {
		gid = make_kgid(current_user_ns(), args->gid);
		if (!gid_valid(gid))
			return -EINVAL;
	}
	if (!mbx_is_owner(box))
		return -EPERM;
	spin_lock(&box->attr_lock);
	if (args->flags & MBX_SET_UID)
		box->attrs.uid = uid;
	if (args->flags & MBX_SET_GID)
		box->attrs.gid = gid;
	if (args->flags & MBX_SET_MODE)
		box->attrs.mode = args->mode;
	if (args->flags & MBX_SET_RECLAIM)
		box->attrs.reclaim_ns = args->reclaim_ns;
	spin_unlock(&box->attr_lock);
	/* A new age limit applies to the orphans already there. */
	if ((args->flags & MBX_SET_RECLAIM) && args->reclaim_ns)
		mod_delayed_work(system_wq, &box->reclaim_work, 0);
	return 0;
}

/* Module exit: nothing is open; every named mailbox goes. */
void mbx_boxes_destroy_all(void)
{
	struct mbx_box *box;
	unsigned long id;

	for (;;) {
		mutex_lock(&mbx_lock);
		xa_for_each(&mbx_boxes, id, box)
			break;
		if (box)
			xa_erase(&mbx_boxes, id);
		mutex_unlock(&mbx_lock);
		if (!box)
			break;
		mbx_box_put(box);
	}
	WARN_ON(!list_empty(&mbx_users));
}
