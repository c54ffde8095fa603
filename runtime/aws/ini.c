/* ini.c: placeholder until its module lands. */
