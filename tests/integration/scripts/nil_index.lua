-- nil_index.lua - a runtime error (indexing nil) on line 3.
local t = nil
local x = t.field
return { x = x }
