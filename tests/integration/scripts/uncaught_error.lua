-- uncaught_error.lua - an AWS error nobody catches: the run must fail with exit 1.
ec2.call("DescribeSecurityGroups", { GroupId = { "sg-0123456789abcdef0" } })
return { reached = true }
