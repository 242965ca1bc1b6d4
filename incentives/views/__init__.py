"""Thin views of the incentives app: parse → one service call → render (DESIGN.md "Where code lives")."""
