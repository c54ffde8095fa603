/*
 * json.h - Lua values to JSON text and back (cJSON).
 *
 * Encoding: nil -> null; booleans; integers as integers, floats with up to
 * 17 significant digits (NaN/inf are an error); strings as their bytes,
 * escaped per RFC 8259;
 * a table with keys exactly 1..n (n >= 1) -> array; a table carrying the
 * "kumo.array" metatable -> array (so an empty list is []); any other table
 * -> object with string keys (integer keys written as decimal strings; other
 * key types are an error); an empty plain table -> {}. json.null (a light
 * userdata sentinel) -> null. Cycles and depth over 64 are errors.
 * Decoding: objects -> tables, arrays -> tables with the "kumo.array"
 * metatable, null -> json.null, numbers -> integer when integral and in range.
 */
#ifndef KUMO_JSON_H
#define KUMO_JSON_H

#include <lua.h>

/* Encodes the value at `index`. Returns a malloc'ed string (caller frees with
 * free()), or NULL with a message in errbuf naming the path ("$.rules[2]:
 * cannot encode a function"). Never raises. */
char *kumo_json_encode(lua_State *L, int index, int pretty, char *errbuf, size_t errbuf_size);

/* Decodes `text` and pushes the value. Returns 0, or -1 with nothing pushed
 * and a message in errbuf. Raises only on Lua memory errors. */
int kumo_json_push_decoded(lua_State *L, const char *text, size_t length, char *errbuf,
                           size_t errbuf_size);

/* Pushes the json.null sentinel (a light userdata). */
void kumo_json_push_null(lua_State *L);

#endif
