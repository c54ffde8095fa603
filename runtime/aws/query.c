/* query.c: placeholder until its module lands. */
