import sys, z3
from forkspec.engines.symbolic import bmc
orig = bmc._Search.__init__
def init(self, enc, opts, figures):
    orig(self, enc, opts, figures)
    self.solver = z3.SolverFor(sys.argv[3])
    self.solver.set("timeout", 20000)
bmc._Search.__init__ = init
exec(open('t5_tmp.py').read())
