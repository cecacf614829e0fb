-- GET /v1/es-entities/{id} with an id drawn at random from the file given
-- after "--" on the wrk command line.
local ids = {}
local threads = 0

-- each wrk thread its own number, so that their random sequences differ
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  math.randomseed(os.time() + (tid or 0))
end

function request()
  return wrk.format("GET", "/v1/es-entities/" .. ids[math.random(#ids)])
end
