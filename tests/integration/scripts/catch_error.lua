-- catch_error.lua - an AWS error caught with pcall; returns the kumo.Error fields.
local ok, err = pcall(ec2.call, "DescribeSecurityGroups", { GroupId = { "sg-0123456789abcdef0" } })
return {
  ok = ok,
  is_table = type(err) == "table",
  kind = err.kind,
  operation = err.operation,
  code = err.code,
  message = err.message,
  request_id = err.request_id,
  http_status = err.http_status,
  attempts = err.attempts,
  text = tostring(err),
}
