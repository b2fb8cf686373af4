"""The examples, started as their README says and exercised through real HTTP."""
