/*
 * xml_out.c - the escaping XML writer declared in xml_out.h.
 */
#include "sandbox/xml_out.h"

#include <string.h>

static void escape(struct kumo_strbuf *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '&':
            kumo_strbuf_append_str(out, "&amp;");
            break;
        case '<':
            kumo_strbuf_append_str(out, "&lt;");
            break;
        case '>':
            kumo_strbuf_append_str(out, "&gt;");
            break;
        case '"':
            kumo_strbuf_append_str(out, "&quot;");
            break;
        case '\'':
            kumo_strbuf_append_str(out, "&apos;");
            break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r')
                kumo_strbuf_append_char(out, (char)*p);
        }
    }
}

void sb_xml_begin_document(struct kumo_strbuf *out, const char *root)
{
    kumo_strbuf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"%s\">", root,
                       SB_EC2_XMLNS);
}

void sb_xml_end_document(struct kumo_strbuf *out, const char *root, const char *request_id)
{
    sb_xml_text(out, "requestId", request_id);
    sb_xml_close(out, root);
}

void sb_xml_open(struct kumo_strbuf *out, const char *name)
{
    kumo_strbuf_printf(out, "<%s>", name);
}

void sb_xml_close(struct kumo_strbuf *out, const char *name)
{
    kumo_strbuf_printf(out, "</%s>", name);
}

void sb_xml_empty(struct kumo_strbuf *out, const char *name)
{
    kumo_strbuf_printf(out, "<%s/>", name);
}

void sb_xml_text(struct kumo_strbuf *out, const char *name, const char *text)
{
    sb_xml_open(out, name);
    escape(out, text ? text : "");
    sb_xml_close(out, name);
}

void sb_xml_int(struct kumo_strbuf *out, const char *name, long long value)
{
    kumo_strbuf_printf(out, "<%s>%lld</%s>", name, value, name);
}

void sb_xml_bool(struct kumo_strbuf *out, const char *name, int value)
{
    sb_xml_text(out, name, value ? "true" : "false");
}

void sb_xml_error_document(struct kumo_strbuf *out, const char *code, const char *message,
                           const char *request_id)
{
    kumo_strbuf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>");
    kumo_strbuf_append_str(out, "<Errors><Error>");
    sb_xml_text(out, "Code", code);
    sb_xml_text(out, "Message", message);
    kumo_strbuf_append_str(out, "</Error></Errors>");
    sb_xml_text(out, "RequestID", request_id);
    kumo_strbuf_append_str(out, "</Response>");
}
