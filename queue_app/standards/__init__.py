"""What a service promises and the site pledges: each service's Standar Pelayanan (PermenPANRB 15/2014) and the
site's Maklumat Pelayanan, from config.toml or as an admin changed them."""
