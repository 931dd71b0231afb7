"""Clear errors for PyTorch attributes numtorch does not have. Being written: see issue 7."""


def missing_attribute(module_name: str, name: str):
    raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
