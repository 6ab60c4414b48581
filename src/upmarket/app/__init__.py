"""The what-if dashboard (``upmarket serve OUT``) and the readers of the models a run saves under OUT/artefacts."""
