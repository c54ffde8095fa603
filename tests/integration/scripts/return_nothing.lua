-- return_nothing.lua - a script that returns no value: --output - prints null.
local unused = 1 + 1
