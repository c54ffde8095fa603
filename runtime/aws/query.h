/*
 * query.h - the EC2 Query protocol form body: a Lua table of wire parameters
 * flattened the EC2 way and percent-encoded (RFC 3986, with a space written
 * as '+' as in every form body: that is what botocore sends, and moto
 * re-encodes the parsed form that way when it checks a signature).
 *
 *   { Filter = { { Name = "tag:Name", Value = { "a", "b" } } }, DryRun = true }
 *   ->
 * Action=X&Version=2016-11-15&DryRun=true&Filter.1.Name=tag%3AName&Filter.1.Value.1=a&Filter.1.Value.2=b
 *
 * Lists (tables with keys 1..n) become 1-based ".N" segments with no
 * ".member"; nested tables become dotted names; booleans "true"/"false";
 * integers in decimal; floats only when integral (3.0 -> "3"; 3.5, NaN and
 * inf are errors). An empty table adds no pairs. Names and values are both
 * percent-encoded. After Action and Version the pairs are sorted by name,
 * comparing numeric segments as numbers (Tag.9 before Tag.10), so the same
 * table always gives the same body.
 */
#ifndef KUMO_QUERY_H
#define KUMO_QUERY_H

#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>

#define KUMO_EC2_API_VERSION "2016-11-15"

/* Pushes the form body for `action` with the parameters table at
 * `params_index` (nil or absent = no parameters); `version` NULL means
 * KUMO_EC2_API_VERSION. Raises a Lua error naming the offending path (e.g.
 * "params.Filter[1].Value: string, number or boolean expected, got function")
 * on values that cannot be encoded, and on tables mixing list and name keys,
 * sparse lists, keys that are neither names nor indices 1..n, a top-level
 * list, an "Action"/"Version" parameter, the same wire name produced twice,
 * or nesting deeper than 16 (which also stops cycles). Leaves exactly the
 * body on the stack; all working memory is Lua's, so a raise leaks nothing. */
void kumo_query_push_body(lua_State *L, const char *action, const char *version, int params_index);

/* Appends `text` percent-encoded per RFC 3986 (A-Z a-z 0-9 - . _ ~ kept,
 * a space as '+', everything else %XX uppercase) to a Lua buffer. */
void kumo_query_add_encoded(luaL_Buffer *buffer, const char *text, size_t length);

#endif
