"""A small multilayer perceptron in numpy, trained one visible step at a time.

- ``layers``: shapes, forward and backward passes, dropout/DropConnect masks, the Model.
- ``trainer``: the prepared data and the Trainer that steps one network.
- ``training``: Params, the Step snapshot and ``run`` (layer / batch / epoch granularity).
- ``captions``: the chain rule written out with the numbers of one pass.
- ``regularise``: none, dropout and DropConnect trained side by side.
- ``pruning``: magnitude pruning, prune / retrain / repeat beside pruning all at once.
- ``data``: XOR and spirals, in the signature of ``algorithms.datasets``.
"""

from algorithms.network.layers import Model, Spec, full_pass, total_loss
from algorithms.network.training import Params, Step, Trace, run

__all__ = ["Model", "Params", "Spec", "Step", "Trace", "full_pass", "run", "total_loss"]
