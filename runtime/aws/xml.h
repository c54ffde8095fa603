/*
 * xml.h - EC2 response documents (libxml2) into Lua tables, and error
 * documents into their code, message and request id.
 *
 * Decoding rules (elements matched by local name; namespaces ignored):
 *   - the root element becomes the result table; its children are its fields;
 *   - an element with child elements, all named <item>, becomes an array;
 *   - an element with other child elements becomes a table keyed by local
 *     name (a name that repeats outside <item> keeps the last value);
 *   - an element with no child elements becomes its text (a string, may be
 *     "", whitespace kept; text between child elements is ignored), except
 *     an empty list container, which becomes an empty array: a name ending
 *     in "Set" or one of the EC2 list names kumo knows (ipPermissions,
 *     ipPermissionsEgress, ipRanges, ipv6Ranges, groups, prefixListIds,
 *     securityGroupInfo, userIdGroupPairs, availabilityZoneInfo, regionInfo,
 *     blockDeviceMapping, productCodes, unsuccessful) with no text or only
 *     whitespace;
 *   - a root element with no child elements gives an empty table;
 *   - no type conversion: "80", "true" and "-1" stay strings;
 *   - arrays carry the metatable registered as "kumo.array" (so JSON output
 *     writes [] for an empty one).
 * Parsing never touches the network, never expands entities, and refuses a
 * document with a DOCTYPE (so no DTD, no entity declarations). libxml2
 * errors go to a per-parse handler: nothing is printed to stderr and no
 * process-wide libxml2 setting is changed.
 */
#ifndef KUMO_XML_H
#define KUMO_XML_H

#include <stddef.h>

#include <lua.h>

/* Parses `body` and pushes the result table. Returns 0, or -1 (nothing
 * pushed) when the body is not well-formed XML or has a DOCTYPE, with a
 * one-line reason in errbuf. Raises only on Lua memory errors, after freeing
 * the parsed document. */
int kumo_xml_push_response(lua_State *L, const char *body, size_t length, char *errbuf,
                           size_t errbuf_size);

/* An AWS error document. */
struct kumo_xml_error {
    char code[128];
    char message[1024];
    char request_id[128];
};

/* Recognises <Response><Errors><Error>... (EC2; <RequestID>), <ErrorResponse>
 * with <Errors><Error> (moto's auth layer) or <Error> (STS/IAM; <RequestId>)
 * and fills `out` (values trimmed, cut at a UTF-8 boundary to fit; "" when
 * absent). Returns 1 when the body is such a document with a <Code> element
 * (even an empty one), 0 otherwise (not XML, HTML, empty, a DOCTYPE, another
 * document), with `out` all "". Never raises; no Lua. */
int kumo_xml_parse_error(const char *body, size_t length, struct kumo_xml_error *out);

/* Finds, for each of the `count` paths, the element reached from the root by
 * local names separated by '/' (the root's own name first, e.g.
 * "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"; the first
 * child of that name at each step) and stores its text, trimmed, as a
 * malloc'ed string in values[i] (NULL when the element is absent). Parsing
 * is locked down as above. Returns 0, or -1 with every values[i] NULL and a
 * one-line reason in errbuf (not XML, a DOCTYPE, out of memory). The caller
 * frees the values (they may be secrets: wipe them first). No Lua. */
int kumo_xml_extract_texts(const char *body, size_t length, const char *const *paths, char **values,
                           size_t count, char *errbuf, size_t errbuf_size);

/* Initialises libxml2 once per process (thread-safe); call before parsing
 * from several threads. kumo_runtime_new() calls it. */
void kumo_xml_init(void);

/* Registers the "kumo.array" metatable in the registry if missing. */
void kumo_xml_register_array_metatable(lua_State *L);

#endif
