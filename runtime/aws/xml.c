/*
 * xml.c - EC2 response documents into Lua tables, and AWS error documents
 * into code/message/request id, with libxml2.
 *
 * Parsing is locked down: no network (XML_PARSE_NONET), no entity
 * substitution (no XML_PARSE_NOENT), no DTD loading or validation, and any
 * document with a DOCTYPE is refused (a scan of the prolog before parsing,
 * and a SAX hook that stops the parser at a DOCTYPE the scan could not see,
 * e.g. in UTF-16). libxml2 reports errors to a per-parser handler that keeps
 * them quiet; the process-wide error handlers are left alone.
 *
 * The tree is converted to Lua inside lua_pcall, so a Lua memory error
 * frees the document before it propagates.
 */
#include "aws/xml.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define ARRAY_METATABLE "kumo.array"

/* EC2 list containers whose names do not end in "Set"; an empty one (<x/>)
 * becomes an empty array rather than "". */
static const char *const list_names[] = {
    "availabilityZoneInfo",
    "blockDeviceMapping",
    "groups",
    "ipPermissions",
    "ipPermissionsEgress",
    "ipRanges",
    "ipv6Ranges",
    "prefixListIds",
    "productCodes",
    "regionInfo",
    "securityGroupInfo",
    "unsuccessful",
    "userIdGroupPairs",
    NULL,
};

/* ---- Parsing ---------------------------------------------------------- */

static void copy_message(char *out, size_t size, const char *text)
{
    if (out == NULL || size == 0)
        return;
    size_t n = strlen(text);
    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

/* Skips the prolog (BOM, whitespace, XML declaration, comments, processing
 * instructions) and reports whether a DOCTYPE comes next. */
static int prolog_has_doctype(const char *body, size_t length)
{
    const char *p = body, *end = body + length;
    if (length >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (end - p >= 9 && strncasecmp(p, "<!DOCTYPE", 9) == 0)
            return 1;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            const char *q = p + 4;
            while (q + 3 <= end && memcmp(q, "-->", 3) != 0)
                q++;
            if (q + 3 > end)
                return 0;
            p = q + 3;
        } else if (end - p >= 2 && memcmp(p, "<?", 2) == 0) {
            const char *q = p + 2;
            while (q + 2 <= end && memcmp(q, "?>", 2) != 0)
                q++;
            if (q + 2 > end)
                return 0;
            p = q + 2;
        } else {
            return 0;
        }
    }
}

/* Structured error handler for one parser context: keeps libxml2 quiet. The
 * last error stays readable through xmlCtxtGetLastError. */
static void quiet_error(void *data, xmlErrorPtr error)
{
    (void)data;
    (void)error;
}

/* SAX hook for <!DOCTYPE ...>: stop before the internal subset is read. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    if (ctxt->_private != NULL)
        *(int *)ctxt->_private = 1;
    xmlStopParser(ctxt);
}

/* Returns the parsed document (caller frees with xmlFreeDoc), or NULL with a
 * reason in errbuf. */
static xmlDocPtr parse_document(const char *body, size_t length, char *errbuf, size_t errbuf_size)
{
    if (body == NULL || length == 0) {
        copy_message(errbuf, errbuf_size, "empty document");
        return NULL;
    }
    if (length > INT_MAX) {
        copy_message(errbuf, errbuf_size, "document too large");
        return NULL;
    }
    if (prolog_has_doctype(body, length)) {
        copy_message(errbuf, errbuf_size, "document has a DOCTYPE (refused)");
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        copy_message(errbuf, errbuf_size, "out of memory");
        return NULL;
    }
    int saw_doctype = 0;
    ctxt->sax->serror = quiet_error;
    ctxt->sax->internalSubset = refuse_doctype;
    ctxt->sax->externalSubset = NULL;
    ctxt->_private = &saw_doctype;
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)length, NULL, NULL, options);
    if (saw_doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))) {
        copy_message(errbuf, errbuf_size, "document has a DOCTYPE (refused)");
        xmlFreeDoc(doc);
        doc = NULL;
    } else if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        xmlErrorPtr error = xmlCtxtGetLastError(ctxt);
        if (error != NULL && error->message != NULL && errbuf != NULL && errbuf_size > 0) {
            snprintf(errbuf, errbuf_size, "not well-formed XML (line %d): %s", error->line,
                     error->message);
            size_t n = strlen(errbuf);
            while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' '))
                errbuf[--n] = '\0';
        } else {
            copy_message(errbuf, errbuf_size, "not well-formed XML");
        }
        xmlFreeDoc(doc);
        doc = NULL;
    }
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    return doc;
}

static int is_element(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

static xmlNode *first_element(const xmlNode *parent)
{
    for (xmlNode *c = parent->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static xmlNode *child_element(const xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent->children; c != NULL; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

static int is_text(const xmlNode *node)
{
    return (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) &&
           node->content != NULL;
}

/* ---- Lua conversion ---------------------------------------------------- */

static int is_list_name(const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && strcmp(name + n - 3, "Set") == 0)
        return 1;
    for (const char *const *l = list_names; *l != NULL; l++)
        if (strcmp(name, *l) == 0)
            return 1;
    return 0;
}

static int all_items(const xmlNode *element)
{
    for (xmlNode *c = element->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "item") != 0)
            return 0;
    return 1;
}

/* Pushes an empty table carrying the array metatable (at mt). */
static void push_array(lua_State *L, int narr, int mt)
{
    lua_createtable(L, narr, 0);
    lua_pushvalue(L, mt);
    lua_setmetatable(L, -2);
}

static void push_element(lua_State *L, const xmlNode *element, int mt);

/* Pushes the table for an element with child elements. */
static void push_children(lua_State *L, const xmlNode *element, int mt)
{
    if (all_items(element)) {
        int n = 0;
        for (xmlNode *c = element->children; c != NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                n++;
        push_array(L, n, mt);
        lua_Integer i = 0;
        for (xmlNode *c = element->children; c != NULL; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            push_element(L, c, mt);
            lua_rawseti(L, -2, ++i);
        }
    } else {
        lua_newtable(L);
        for (xmlNode *c = element->children; c != NULL; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            push_element(L, c, mt);
            lua_setfield(L, -2, (const char *)c->name);
        }
    }
}

/* Pushes the value of one element (see the rules in xml.h). */
static void push_element(lua_State *L, const xmlNode *element, int mt)
{
    luaL_checkstack(L, 4, "XML document nested too deeply");
    if (first_element(element) != NULL) {
        push_children(L, element, mt);
        return;
    }
    int blank = 1;
    for (xmlNode *c = element->children; c != NULL && blank; c = c->next) {
        if (!is_text(c))
            continue;
        for (const xmlChar *p = c->content; *p; p++) {
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                blank = 0;
                break;
            }
        }
    }
    if (blank && is_list_name((const char *)element->name)) {
        push_array(L, 0, mt);
        return;
    }
    luaL_Buffer text;
    luaL_buffinit(L, &text);
    for (xmlNode *c = element->children; c != NULL; c = c->next)
        if (is_text(c))
            luaL_addstring(&text, (const char *)c->content);
    luaL_pushresult(&text);
}

/* lua_pcall'ed: [1] = the document (light userdata). Pushes the result. */
static int push_document(lua_State *L)
{
    xmlDocPtr doc = lua_touserdata(L, 1);
    xmlNode *root = xmlDocGetRootElement(doc);
    kumo_xml_register_array_metatable(L);
    luaL_getmetatable(L, ARRAY_METATABLE);
    int mt = lua_gettop(L);
    if (first_element(root) != NULL)
        push_children(L, root, mt);
    else
        lua_newtable(L);
    return 1;
}

int kumo_xml_push_response(lua_State *L, const char *body, size_t length, char *errbuf,
                           size_t errbuf_size)
{
    luaL_checkstack(L, 3, "no stack space for an XML document");
    xmlDocPtr doc = parse_document(body, length, errbuf, errbuf_size);
    if (doc == NULL)
        return -1;
    lua_pushcfunction(L, push_document);
    lua_pushlightuserdata(L, doc);
    int status = lua_pcall(L, 1, 1, 0);
    xmlFreeDoc(doc);
    if (status != LUA_OK)
        lua_error(L); /* a memory error: re-raise now that the document is freed */
    return 0;
}

void kumo_xml_register_array_metatable(lua_State *L)
{
    luaL_newmetatable(L, ARRAY_METATABLE); /* sets __name; no-op if present */
    lua_pop(L, 1);
}

/* ---- Error documents --------------------------------------------------- */

/* Copies the element's text, trimmed, truncated at a UTF-8 boundary. */
static void copy_text(const xmlNode *element, char *out, size_t size)
{
    size_t n = 0;
    int truncated = 0;
    out[0] = '\0';
    if (element == NULL)
        return;
    for (xmlNode *c = element->children; c != NULL && !truncated; c = c->next) {
        if (!is_text(c))
            continue;
        for (const xmlChar *p = c->content; *p; p++) {
            if (n + 1 >= size) {
                truncated = 1;
                break;
            }
            out[n++] = (char)*p;
        }
    }
    if (truncated) { /* drop a partial UTF-8 sequence at the end */
        size_t lead = n;
        while (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0xC0) {
            unsigned char c = (unsigned char)out[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n - (lead - 1) < want)
                n = lead - 1;
        }
    }
    out[n] = '\0';
    size_t start = 0;
    while (start < n &&
           (out[start] == ' ' || out[start] == '\t' || out[start] == '\r' || out[start] == '\n'))
        start++;
    while (n > start &&
           (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r' || out[n - 1] == '\n'))
        n--;
    memmove(out, out + start, n - start);
    out[n - start] = '\0';
}

int kumo_xml_parse_error(const char *body, size_t length, struct kumo_xml_error *out)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr doc = parse_document(body, length, NULL, 0);
    if (doc == NULL)
        return 0;
    int found = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (is_element(root, "Response") || is_element(root, "ErrorResponse")) {
        xmlNode *error = NULL;
        xmlNode *errors = child_element(root, "Errors");
        if (errors != NULL)
            error = child_element(errors, "Error");
        if (error == NULL) /* STS/IAM: <ErrorResponse><Error> */
            error = child_element(root, "Error");
        xmlNode *code = error != NULL ? child_element(error, "Code") : NULL;
        if (code != NULL) {
            xmlNode *request_id = child_element(root, "RequestID");
            if (request_id == NULL)
                request_id = child_element(root, "RequestId");
            copy_text(code, out->code, sizeof out->code);
            copy_text(child_element(error, "Message"), out->message, sizeof out->message);
            copy_text(request_id, out->request_id, sizeof out->request_id);
            found = 1;
        }
    }
    xmlFreeDoc(doc);
    return found;
}

/* ---- Text extraction ---------------------------------------------------- */

static const xmlNode *find_path(const xmlNode *root, const char *path)
{
    const xmlNode *node = NULL;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, "/");
        char name[128];
        if (n == 0 || n >= sizeof name)
            return NULL;
        memcpy(name, p, n);
        name[n] = '\0';
        if (node == NULL)
            node = is_element(root, name) ? root : NULL;
        else
            node = child_element(node, name);
        if (node == NULL)
            return NULL;
        p += n;
        if (*p == '/')
            p++;
    }
    return node;
}

static char *element_text(const xmlNode *element)
{
    xmlChar *content = xmlNodeGetContent(element);
    if (content == NULL)
        return NULL;
    const char *start = (const char *)content;
    size_t n = strlen(start);
    while (n > 0 && strchr(" \t\r\n", *start)) {
        start++;
        n--;
    }
    while (n > 0 && strchr(" \t\r\n", start[n - 1]))
        n--;
    char *text = malloc(n + 1);
    if (text != NULL) {
        memcpy(text, start, n);
        text[n] = '\0';
    }
    memset(content, 0, strlen((const char *)content));
    xmlFree(content);
    return text;
}

int kumo_xml_extract_texts(const char *body, size_t length, const char *const *paths, char **values,
                           size_t count, char *errbuf, size_t errbuf_size)
{
    for (size_t i = 0; i < count; i++)
        values[i] = NULL;
    xmlDocPtr doc = parse_document(body, length, errbuf, errbuf_size);
    if (doc == NULL)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    int result = 0;
    for (size_t i = 0; i < count && result == 0; i++) {
        const xmlNode *element = find_path(root, paths[i]);
        if (element != NULL && (values[i] = element_text(element)) == NULL)
            result = -1;
    }
    xmlFreeDoc(doc);
    if (result != 0) {
        copy_message(errbuf, errbuf_size, "out of memory");
        for (size_t i = 0; i < count; i++) {
            free(values[i]);
            values[i] = NULL;
        }
    }
    return result;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
    xmlInitParser();
}

void kumo_xml_init(void)
{
    pthread_once(&xml_once, xml_init_once);
}
