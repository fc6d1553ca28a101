// The example hierarchy lives with the simulator, which the `xinfang` executable also uses; tests
// reach it through this module as before.
@_exported public import XinfangSimulation
