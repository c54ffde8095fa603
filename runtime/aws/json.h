/*
 * json.h - Lua values to JSON text and back (cJSON).
 *
 * Encoding: nil -> null; booleans; integers as integers (all 64 bits),
 * floats with up to 17 significant digits and always a fraction or exponent
 * (1.0 -> "1.0"; NaN/inf are an error); strings as their bytes, escaped per
 * RFC 8259 (NUL -> \u0000; UTF-8 passes through);
 * a table with keys exactly 1..n (n >= 1) -> array; a table carrying the
 * "kumo.array" metatable -> array (so an empty list is []; other keys in it
 * are an error); any other table -> object with string keys (integer keys
 * written as decimal strings; other key types, keys with a NUL byte, and an
 * integer key colliding with the same string key are errors), members sorted
 * by key bytewise; an empty plain table -> {}. json.null (a light userdata
 * sentinel) -> null. Cycles and depth over 64 are errors. Pretty output
 * indents two spaces per level ("key": value); compact output has no spaces.
 * Decoding: objects -> tables, arrays -> tables with the "kumo.array"
 * metatable, null -> json.null, numbers -> integer when integral and in range
 * (so "1.0" decodes as 1; cJSON reads numbers as doubles, so integers beyond
 * 2^53 are rounded). A \u0000 escape inside a string is refused (cJSON would
 * cut the string there). Trailing non-space text is an error.
 */
#ifndef KUMO_JSON_H
#define KUMO_JSON_H

#include <lua.h>

/* Encodes the value at `index`. Returns a malloc'ed string (caller frees with
 * free()), or NULL with a message in errbuf naming the path ("$.rules[2]:
 * cannot encode a function"; 1-based indices, ["key"] for keys that are not
 * identifiers; "not enough memory" on a Lua memory error). Never raises;
 * leaves the stack as it was. */
char *kumo_json_encode(lua_State *L, int index, int pretty, char *errbuf, size_t errbuf_size);

/* Decodes `text` (length bytes; need not be NUL-terminated) and pushes the
 * value. Returns 0, or -1 with nothing pushed and a message in errbuf such as
 * "unexpected character ']' at byte 4" (1-based) or "unexpected end of input
 * at byte 3". Raises only on Lua memory errors (the cJSON tree is freed
 * first). Registers the "kumo.array" metatable if missing. */
int kumo_json_push_decoded(lua_State *L, const char *text, size_t length, char *errbuf,
                           size_t errbuf_size);

/* Pushes the json.null sentinel (a light userdata). */
void kumo_json_push_null(lua_State *L);

#endif
