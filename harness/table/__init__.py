"""The combination table: state x memory x disk x disk-only x format, per profile."""
