-- lua_error.lua - raises a plain Lua error on line 4 (the tests check file:line).
local function fail()
  -- keep the error call below on line 4
  error("lua-error-marker")
end
fail()
return { reached = true }
