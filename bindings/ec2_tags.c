/*
 * ec2_tags.c - the typed tagging binding of the `ec2` library: create_tags.
 */
#include <lauxlib.h>

#include "bindings/bindings.h"
#include "aws/call.h"
#include "bindings/ec2_common.h"
#include "bindings/validate.h"

/* ec2.create_tags{ resources = { "sg-...", "vpc-...", ... },
 *                  tags = { Key = "value", ... }, dry_run? } -> {}
 * Adds or overwrites the tags on every resource (ResourceId.N, Tag.N sorted
 * by key). Raises a field-path message on bad input (nothing sent),
 * kumo.Error on AWS failures. */
static int ec2_create_tags(lua_State *L)
{
    static const char *const fields[] = {"resources", "tags", "dry_run", NULL};
    const struct kumo_check check = {"ec2.create_tags", KUMO_BINDING_LEVEL};
    lua_settop(L, 1);
    kumo_check_table(L, &check, 1, "");
    kumo_check_fields(L, &check, 1, "", fields);
    lua_newtable(L);
    int params = lua_gettop(L);
    if (lua_getfield(L, 1, "resources") == LUA_TNIL)
        kumo_check_fail(L, &check, "resources", "required");
    kumo_push_id_list(L, &check, -1, "resources", NULL, "resource id");
    lua_setfield(L, params, "ResourceId");
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "tags") == LUA_TNIL)
        kumo_check_fail(L, &check, "tags", "required");
    kumo_push_wire_tags(L, &check, -1, "tags");
    if (lua_rawlen(L, -1) == 0)
        kumo_check_fail(L, &check, "tags", "at least one tag expected");
    lua_setfield(L, params, "Tag");
    lua_pop(L, 1);
    kumo_ec2_set_dry_run(L, 1, params, &check);

    kumo_call_ec2(L, "CreateTags", params);
    lua_newtable(L);
    return 1;
}

static const luaL_Reg tag_functions[] = {{"create_tags", ec2_create_tags}, {NULL, NULL}};

void kumo_ec2_register_tags(lua_State *L)
{
    luaL_setfuncs(L, tag_functions, 0);
}
