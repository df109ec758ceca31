/*
 * gss_none.c: a GSS-API with no mechanisms, for the statically linked ssh
 * worker.
 *
 * Debian's libssh.a is built with GSSAPI (gssapi-with-mic) and so refers
 * to the GSS-API functions below, but Debian ships no static Kerberos
 * library to satisfy them, and linking the shared one would load six
 * Kerberos libraries into every worker again. The worker never lets a
 * GSS-API call happen: ssh.c refuses gssapi-with-mic in libssh's
 * gssapi_select_oid callback, before libssh would ask for mechanisms, and
 * without a GSS-API context libssh's token and MIC handlers stop at their
 * state checks. These definitions are what stands behind that: every
 * call fails with GSS_S_UNAVAILABLE and hands back nothing (empty
 * buffers, null handles and sets), so even a path we did not foresee ends
 * in an authentication failure, never in Kerberos code.
 *
 * The prototypes are RFC 2744's (the C bindings), written out with our own
 * names for its types, since the worker is built without gssapi.h.
 */
#include <stddef.h>
#include <stdint.h>

typedef uint32_t	om_uint32;

struct gss_buffer {			/* gss_buffer_desc */
	size_t		 length;
	void		*value;
};

#define GSS_UNAVAILABLE	(16u << 16)	/* GSS_S_UNAVAILABLE */
#define GSS_COMPLETE	0u		/* GSS_S_COMPLETE */

/* gss_OID constants libssh names; no mechanism, so no name types. */
void	*GSS_C_NT_HOSTBASED_SERVICE = NULL;
void	*GSS_C_NT_USER_NAME = NULL;

static om_uint32
unavailable(om_uint32 *minor)
{
	if (minor != NULL)
		*minor = 0;
	return GSS_UNAVAILABLE;
}

static om_uint32
released(om_uint32 *minor)
{
	if (minor != NULL)
		*minor = 0;
	return GSS_COMPLETE;
}

static void
empty(struct gss_buffer *b)
{
	if (b != NULL) {
		b->length = 0;
		b->value = NULL;
	}
}

static void
null(void **handle)
{
	if (handle != NULL)
		*handle = NULL;
}

/* --- what a server would use ---------------------------------------------- */

om_uint32	gss_indicate_mechs(om_uint32 *, void **);
om_uint32	gss_create_empty_oid_set(om_uint32 *, void **);
om_uint32	gss_add_oid_set_member(om_uint32 *, const void *, void **);
om_uint32	gss_test_oid_set_member(om_uint32 *, const void *,
		    const void *, int *);
om_uint32	gss_import_name(om_uint32 *, const struct gss_buffer *,
		    const void *, void **);
om_uint32	gss_display_name(om_uint32 *, const void *,
		    struct gss_buffer *, void **);
om_uint32	gss_acquire_cred(om_uint32 *, const void *, om_uint32,
		    const void *, int, void **, void **, om_uint32 *);
om_uint32	gss_inquire_cred(om_uint32 *, const void *, void **,
		    om_uint32 *, int *, void **);
om_uint32	gss_inquire_cred_by_mech(om_uint32 *, const void *,
		    const void *, void **, om_uint32 *, om_uint32 *, int *);
om_uint32	gss_accept_sec_context(om_uint32 *, void **, const void *,
		    const struct gss_buffer *, const void *, void **, void **,
		    struct gss_buffer *, om_uint32 *, om_uint32 *, void **);
om_uint32	gss_init_sec_context(om_uint32 *, const void *, void **,
		    const void *, const void *, om_uint32, om_uint32,
		    const void *, const struct gss_buffer *, void **,
		    struct gss_buffer *, om_uint32 *, om_uint32 *);
om_uint32	gss_get_mic(om_uint32 *, const void *, om_uint32,
		    const struct gss_buffer *, struct gss_buffer *);
om_uint32	gss_verify_mic(om_uint32 *, const void *,
		    const struct gss_buffer *, const struct gss_buffer *,
		    om_uint32 *);
om_uint32	gss_display_status(om_uint32 *, om_uint32, int, const void *,
		    om_uint32 *, struct gss_buffer *);
om_uint32	gss_release_buffer(om_uint32 *, struct gss_buffer *);
om_uint32	gss_release_cred(om_uint32 *, void **);
om_uint32	gss_release_name(om_uint32 *, void **);
om_uint32	gss_release_oid_set(om_uint32 *, void **);

om_uint32
gss_indicate_mechs(om_uint32 *minor, void **mechs)
{
	null(mechs);
	return unavailable(minor);
}

om_uint32
gss_create_empty_oid_set(om_uint32 *minor, void **set)
{
	null(set);
	return unavailable(minor);
}

om_uint32
gss_add_oid_set_member(om_uint32 *minor, const void *oid, void **set)
{
	(void)oid;
	(void)set;
	return unavailable(minor);
}

om_uint32
gss_test_oid_set_member(om_uint32 *minor, const void *oid, const void *set,
    int *present)
{
	(void)oid;
	(void)set;
	if (present != NULL)
		*present = 0;
	return unavailable(minor);
}

om_uint32
gss_import_name(om_uint32 *minor, const struct gss_buffer *in,
    const void *type, void **name)
{
	(void)in;
	(void)type;
	null(name);
	return unavailable(minor);
}

om_uint32
gss_display_name(om_uint32 *minor, const void *name, struct gss_buffer *out,
    void **type)
{
	(void)name;
	empty(out);
	null(type);
	return unavailable(minor);
}

om_uint32
gss_acquire_cred(om_uint32 *minor, const void *name, om_uint32 time_req,
    const void *mechs, int usage, void **cred, void **actual,
    om_uint32 *time_rec)
{
	(void)name;
	(void)time_req;
	(void)mechs;
	(void)usage;
	null(cred);
	null(actual);
	if (time_rec != NULL)
		*time_rec = 0;
	return unavailable(minor);
}

om_uint32
gss_inquire_cred(om_uint32 *minor, const void *cred, void **name,
    om_uint32 *lifetime, int *usage, void **mechs)
{
	(void)cred;
	null(name);
	if (lifetime != NULL)
		*lifetime = 0;
	if (usage != NULL)
		*usage = 0;
	null(mechs);
	return unavailable(minor);
}

om_uint32
gss_inquire_cred_by_mech(om_uint32 *minor, const void *cred, const void *mech,
    void **name, om_uint32 *init_life, om_uint32 *accept_life, int *usage)
{
	(void)cred;
	(void)mech;
	null(name);
	if (init_life != NULL)
		*init_life = 0;
	if (accept_life != NULL)
		*accept_life = 0;
	if (usage != NULL)
		*usage = 0;
	return unavailable(minor);
}

om_uint32
gss_accept_sec_context(om_uint32 *minor, void **ctx, const void *cred,
    const struct gss_buffer *in, const void *bindings, void **src_name,
    void **mech, struct gss_buffer *out, om_uint32 *flags, om_uint32 *time_rec,
    void **delegated)
{
	(void)ctx;
	(void)cred;
	(void)in;
	(void)bindings;
	null(src_name);
	null(mech);
	empty(out);
	if (flags != NULL)
		*flags = 0;
	if (time_rec != NULL)
		*time_rec = 0;
	null(delegated);
	return unavailable(minor);
}

om_uint32
gss_init_sec_context(om_uint32 *minor, const void *cred, void **ctx,
    const void *target, const void *mech, om_uint32 req_flags,
    om_uint32 time_req, const void *bindings, const struct gss_buffer *in,
    void **actual_mech, struct gss_buffer *out, om_uint32 *flags,
    om_uint32 *time_rec)
{
	(void)cred;
	(void)ctx;
	(void)target;
	(void)mech;
	(void)req_flags;
	(void)time_req;
	(void)bindings;
	(void)in;
	null(actual_mech);
	empty(out);
	if (flags != NULL)
		*flags = 0;
	if (time_rec != NULL)
		*time_rec = 0;
	return unavailable(minor);
}

om_uint32
gss_get_mic(om_uint32 *minor, const void *ctx, om_uint32 qop,
    const struct gss_buffer *msg, struct gss_buffer *token)
{
	(void)ctx;
	(void)qop;
	(void)msg;
	empty(token);
	return unavailable(minor);
}

om_uint32
gss_verify_mic(om_uint32 *minor, const void *ctx, const struct gss_buffer *msg,
    const struct gss_buffer *token, om_uint32 *qop)
{
	(void)ctx;
	(void)msg;
	(void)token;
	if (qop != NULL)
		*qop = 0;
	return unavailable(minor);
}

/* No text: libssh logs nothing for a status it cannot display. */
om_uint32
gss_display_status(om_uint32 *minor, om_uint32 status, int type,
    const void *mech, om_uint32 *more, struct gss_buffer *out)
{
	(void)status;
	(void)type;
	(void)mech;
	if (more != NULL)
		*more = 0;
	empty(out);
	return unavailable(minor);
}

/* Nothing was ever allocated: releasing only clears the caller's handle. */
om_uint32
gss_release_buffer(om_uint32 *minor, struct gss_buffer *b)
{
	empty(b);
	return released(minor);
}

om_uint32
gss_release_cred(om_uint32 *minor, void **cred)
{
	null(cred);
	return released(minor);
}

om_uint32
gss_release_name(om_uint32 *minor, void **name)
{
	null(name);
	return released(minor);
}

om_uint32
gss_release_oid_set(om_uint32 *minor, void **set)
{
	null(set);
	return released(minor);
}
