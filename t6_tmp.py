import z3
k,v = "sat.euf=true".split("=")
z3.set_param(k, {"true":True}.get(v, int(v) if v.isdigit() else v))
exec(open('t5_tmp.py').read())
