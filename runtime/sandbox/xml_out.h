/*
 * xml_out.h - a small escaping XML writer for the sandbox's EC2 documents:
 * success roots <XResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
 * and the <Response><Errors><Error>... error document. Text is escaped
 * (& < > " '); control characters other than tab/CR/LF are dropped.
 * Allocation failures are sticky in the underlying strbuf.
 */
#ifndef KUMO_SANDBOX_XML_OUT_H
#define KUMO_SANDBOX_XML_OUT_H

#include "util/strbuf.h"

#define SB_EC2_XMLNS "http://ec2.amazonaws.com/doc/2016-11-15/"

/* <?xml ...?><NAME xmlns="..."> */
void sb_xml_begin_document(struct kumo_strbuf *out, const char *root);
/* <requestId>ID</requestId></NAME> */
void sb_xml_end_document(struct kumo_strbuf *out, const char *root, const char *request_id);
void sb_xml_open(struct kumo_strbuf *out, const char *name);
void sb_xml_close(struct kumo_strbuf *out, const char *name);
/* <NAME/> */
void sb_xml_empty(struct kumo_strbuf *out, const char *name);
/* <NAME>escaped text</NAME> */
void sb_xml_text(struct kumo_strbuf *out, const char *name, const char *text);
void sb_xml_int(struct kumo_strbuf *out, const char *name, long long value);
void sb_xml_bool(struct kumo_strbuf *out, const char *name, int value);
/* The whole EC2 error document. */
void sb_xml_error_document(struct kumo_strbuf *out, const char *code, const char *message,
                           const char *request_id);

#endif
